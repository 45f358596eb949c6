# The two commands of the README: `make run` and `make test`.
VENV ?= .venv

.PHONY: setup run test bench

setup:
	bash scripts/setup.sh

run: setup
	$(VENV)/bin/roost serve

test: setup
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
