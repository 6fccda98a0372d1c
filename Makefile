# The two commands a newcomer needs: `make run` (demo practice on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///./clientledger-demo.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint fmt bench soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	CLIENTLEDGER_DATABASE_URL=$(DEMO_DB) $(BIN)/clientledger demo
	@echo "clientledger is serving at http://$(HOST):$(PORT)/ (API docs: http://$(HOST):$(PORT)/docs)"
	CLIENTLEDGER_DATABASE_URL=$(DEMO_DB) $(BIN)/clientledger serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --cache-dir $(VENV)/.import_linter_cache

fmt: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: lint
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

# The money state machine for ~10 minutes (SQLite and, with CLIENTLEDGER_TEST_POSTGRES_URL, PostgreSQL in parallel).
SOAK_SECONDS ?= 540
soak: install
	CLIENTLEDGER_SOAK=1 CLIENTLEDGER_SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/pytest -n 2 -rP \
		tests/integration/test_money_state_machine.py -k step_by_step

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
