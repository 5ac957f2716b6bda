# The two commands: `make run` (the app on SQLite with demo data) and `make test` (every test).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Node from .tools/ when the system one is too old; Reflex is told to use npm.
RUNENV = PATH="$$(cat .tools/node-bin 2>/dev/null)$${PATH:+:}$$PATH" REFLEX_USE_NPM=1

.PHONY: run test setup setup-test lint messages bench clean

run: setup
	@$(RUNENV) $(VENV)/bin/lbt demo
	@echo "LBT permits: open http://localhost:3000 (Ctrl+C stops the app)"
	@$(RUNENV) $(VENV)/bin/reflex run --env prod --loglevel warning

test: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(RUNENV) $(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

setup: $(STAMP)
	@python3 scripts/bootstrap.py

setup-test: $(STAMP)
	@python3 scripts/bootstrap.py --browser

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[test]"
	@touch $(STAMP)

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

messages:
	$(PY) scripts/messages.py

bench:
	$(RUNENV) $(PY) bench/run_all.py

clean:
	rm -rf .web .states data
