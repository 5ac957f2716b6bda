# The two commands: `make run` (the app on SQLite with demo data) and `make test` (every test).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make run PORT=8080`: the one port the app serves on (prod mode: pages, events and API).
PORT ?= 3000
# What `make run` prints: the public address if one is set, else this machine's (settings.py).
URL = $(or $(LBT_PUBLIC_URL),http://localhost:$(PORT))
# Node from .tools/ when the system one is too old; Reflex is told to use npm.
RUNENV = PATH="$$(cat .tools/node-bin 2>/dev/null)$${PATH:+:}$$PATH" REFLEX_USE_NPM=1

.PHONY: run test setup setup-test lint messages bench clean

run: setup
	@$(RUNENV) $(VENV)/bin/lbt demo
	@echo "LBT permits: open $(URL) (Ctrl+C stops the app)"
	@$(RUNENV) LBT_PORT=$(PORT) $(VENV)/bin/reflex run --env prod --loglevel warning \
		--frontend-port $(PORT) --backend-port $(PORT)

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
