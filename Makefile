# dailypapers: the two commands are `make demo` and `make test`. `make help` lists the rest.
#
# Everything installs into ./.venv (python3 -m venv). The test suite never touches ./data's real
# database: it runs with DAILYPAPERS_DATA_DIR=./data/test.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://root@127.0.0.1:5432/test
TEST_DATA_DIR := $(CURDIR)/data/test
TEST_ENV := DAILYPAPERS_DATA_DIR=$(TEST_DATA_DIR)
SQLITE_TEST_URL := sqlite:///$(TEST_DATA_DIR)/dailypapers.sqlite3
PYTEST_UNIT := $(BIN)/pytest --ignore=tests/e2e -m "not e2e"

# Steps of `make test` share one test database folder: never run them in parallel.
.NOTPARALLEL:
.DEFAULT_GOAL := help
.PHONY: help install install-dev demo serve lint format check-migrations chromium \
	test test-sqlite test-postgres pgvector test-e2e bench clean

help:
	@echo "make demo            install (runtime deps), import the demo corpus once, serve on 127.0.0.1:\$${PORT:-8000}"
	@echo "make serve           serve ./data's database with gunicorn (no import)"
	@echo "make test            install, lint, check migrations, pytest on SQLite and PostgreSQL, browser tests"
	@echo "make test-sqlite     pytest on SQLite only (no browser tests)"
	@echo "make test-postgres   pytest on PostgreSQL ($(PG_URL); PG_URL=... to change)"
	@echo "make test-e2e        browser tests (tests/e2e) in Debian's Chromium"
	@echo "make lint            ruff check, ruff format --check, mypy"
	@echo "make format          ruff format + ruff check --fix"
	@echo "make bench           benchmarks/ingest.py (papers/s into an empty SQLite database)"
	@echo "make clean           remove the test data folder and tool caches (keeps ./data's database)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed-runtime
	$(BIN)/dailypapers demo

serve: $(VENV)/.installed-runtime
	$(BIN)/dailypapers serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

check-migrations: $(VENV)/.installed-dev
	$(TEST_ENV) DAILYPAPERS_DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/dailypapers makemigrations --check --dry-run

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@if [ -x /usr/bin/chromium ]; then \
		echo "Chromium: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "Chromium is missing and this is not root: 'sudo apt-get install chromium' for the browser tests"; \
	fi

# pgvector (the `vector` extension) for PostgreSQL: built from Debian's source package when
# missing and this is root (.ci/install-pgvector); otherwise a message, and search on PostgreSQL
# falls back to the file indexes (DAILYPAPERS_SEARCH_BACKEND=auto).
pgvector:
	@if [ -d /etc/postgresql ] && [ "$$(id -u)" = 0 ]; then .ci/install-pgvector; \
	else echo "pgvector: not installing (needs root and a local PostgreSQL; see .ci/install-pgvector)"; fi

test: install-dev chromium lint check-migrations test-sqlite test-postgres test-e2e
	@echo "make test: every step passed"

# pytest exits 5 when it collected nothing: for the main suite that is a failure, said plainly.
test-sqlite: $(VENV)/.installed-dev
	@echo "== pytest on SQLite ($(TEST_DATA_DIR))"
	@$(TEST_ENV) DAILYPAPERS_DATABASE_URL=$(SQLITE_TEST_URL) $(PYTEST_UNIT) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests on SQLite: failing" >&2; fi; exit $$rc; }

# Locally an unreachable PostgreSQL is skipped with a message; under CI=true it fails the run.
test-postgres: $(VENV)/.installed-dev pgvector
	@echo "== pytest on PostgreSQL ($(PG_URL))"
	@if problem=$$($(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()" \
			"$(PG_URL)" 2>&1); then \
		$(TEST_ENV) DAILYPAPERS_DATABASE_URL=$(PG_URL) $(PYTEST_UNIT) || { rc=$$?; \
			if [ $$rc -eq 5 ]; then echo "pytest collected no tests on PostgreSQL: failing" >&2; fi; exit $$rc; }; \
	elif [ "$${CI:-}" = true ]; then \
		echo "PostgreSQL unreachable at $(PG_URL): CI must run the PostgreSQL suite, failing" >&2; \
		echo "$$problem" | tail -n 1 >&2; exit 1; \
	else \
		echo "PostgreSQL unreachable at $(PG_URL), skipping the PostgreSQL run ($$(echo "$$problem" | tail -n 1))"; \
	fi

# Browser tests on SQLite. Playwright's sync API runs an event loop in the test thread, so Django's
# async-safety guard has to be told the ORM calls there are fine. tests/e2e may hold no test yet:
# pytest's exit 5 is reported and accepted here only.
test-e2e: $(VENV)/.installed-dev
	@echo "== browser tests (tests/e2e) on SQLite"
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$${CI:-}" = true ]; then echo "Chromium missing (/usr/bin/chromium): failing under CI" >&2; exit 1; fi; \
		echo "Chromium missing (/usr/bin/chromium), skipping the browser tests"; exit 0; \
	fi; \
	$(TEST_ENV) DAILYPAPERS_DATABASE_URL=$(SQLITE_TEST_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(BIN)/pytest tests/e2e; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "tests/e2e: no browser tests collected yet (pytest exit 5), not counted as a failure"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

bench: $(VENV)/.installed-runtime
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(TEST_DATA_DIR) .pytest_cache .ruff_cache .mypy_cache test-results
