# The two commands of the README: `make run` and `make test`.
# `make run` installs what running needs; `make test` adds what only the tests need
# (pytest, playwright, schemathesis, Mosquitto, PostgreSQL, Chromium): scripts/setup.sh --test.
VENV ?= .venv

.PHONY: setup setup-test run test bench

setup:
	bash scripts/setup.sh

setup-test:
	bash scripts/setup.sh --test

run: setup
	$(VENV)/bin/roost serve

# Lint, types and the docstring examples first (seconds), then the default suite, then the
# slow one (`-m slow`: fault injection over minutes, fuzzing, every config file started). The GStreamer
# children run under the system Python, the tuning child in the torch venv and the Alembic env
# only inside Alembic: no doctests.
DOCTEST_IGNORE = --ignore=roost/restream/gst_ingest.py --ignore=roost/restream/gst_server.py \
	--ignore=roost/store/migrations --ignore=roost/tune/train_torch.py

test: setup-test
	$(VENV)/bin/ruff check roost tests bench
	$(VENV)/bin/python -m mypy --strict roost
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider --doctest-modules roost $(DOCTEST_IGNORE)
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider --durations=25
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider --durations=10 -m slow

bench: setup-test
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
