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

test: setup-test
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: setup-test
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
