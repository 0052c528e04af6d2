# Daftar: two commands set up a fresh machine.
#   make run   — install, migrate SQLite, load the demo city, serve http://127.0.0.1:8000/
#   make test  — install, then every check and the test suite on SQLite and on PostgreSQL
#   make bench-quick / make bench — the load benchmark on PostgreSQL (bench/README.md)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SIMULATOR_PORT ?= 8099
PG_URL ?= postgres://postgres@127.0.0.1:5432/daftar
DEV := DJANGO_SETTINGS_MODULE=daftar.settings.dev
TESTENV := DJANGO_SETTINGS_MODULE=daftar.settings.test

.PHONY: help system-deps install messages run serve demo check lint typecheck test test-sqlite test-postgres browser-deps postgres redis clean bench bench-quick

help:
	@echo "make run    install, migrate, load the demo city and serve it at http://$(HOST):$(PORT)/"
	@echo "make test   install and run every check and test (SQLite and PostgreSQL)"

$(STAMP): requirements/dev.lock pyproject.toml
	$(MAKE) --no-print-directory system-deps
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Debian: apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	$(PY) scripts/compile_messages.py

# Background work runs in-process (Celery eager, no broker); periodic_run stands in for Celery beat
# and is stopped with runserver.
run: install
	mkdir -p var
	$(DEV) $(PY) manage.py migrate --no-input
	DAFTAR_SIMULATOR_PORT=$(SIMULATOR_PORT) DAFTAR_PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(DEV) $(PY) manage.py demo_load
	@echo "Daftar demo city: http://$(HOST):$(PORT)/  (sign-in codes: http://$(HOST):$(PORT)/dev/sms/)"
	@echo "Agency simulator (water, electricity, gas, telecom): http://127.0.0.1:$(SIMULATOR_PORT)/_stats"
	$(DEV) $(PY) manage.py periodic_run & periodic=$$!; \
	  $(PY) -m daftar.simulators.agencies --config var/simulator.json --port $(SIMULATOR_PORT) & simulator=$$!; \
	  trap 'kill $$periodic $$simulator 2>/dev/null || true' EXIT INT TERM; \
	  $(DEV) $(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

check: install
	$(TESTENV) $(PY) manage.py check
	$(TESTENV) $(PY) manage.py makemigrations --check --dry-run
	mkdir -p var && $(TESTENV) $(PY) manage.py signing_key_generate var/check-deploy-signing-key.pem --force >/dev/null
	DJANGO_SECRET_KEY=check-deploy-only-$$RANDOM$$RANDOM$$RANDOM$$RANDOM$$RANDOM$$RANDOM$$RANDOM$$RANDOM \
	  DAFTAR_SIGNING_KEY_FILE=var/check-deploy-signing-key.pem \
	  DJANGO_ALLOWED_HOSTS=daftar.example DJANGO_SETTINGS_MODULE=daftar.settings.prod \
	  $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) scripts/check_translations.py

# WeasyPrint (certificates as PDF) needs Pango; HarfBuzz's subset library keeps the fonts small.
system-deps:
	@ldconfig -p | grep -q libpango-1.0 && ldconfig -p | grep -q libharfbuzz-subset || { \
	  echo "Installing Debian's Pango and HarfBuzz for PDF certificates"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; }

browser-deps:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

postgres:
	@scripts/ensure_postgres.sh

# The Celery worker test (pytest -m celery) runs a real worker on the local Redis.
redis:
	@scripts/ensure_redis.sh

test-sqlite: install browser-deps redis
	$(BIN)/pytest -q

test-postgres: install browser-deps postgres redis
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

test: lint typecheck check test-sqlite test-postgres
	@echo "make test: all checks and both databases passed"

# Benchmarks (issue 9): gunicorn + locust + pgbench against the database daftar_bench_load on the local
# PostgreSQL; results in bench/results/. bench-quick finishes in under ten minutes.
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=

$(BENCH_STAMP): requirements/bench.lock $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/bench.lock
	touch $(BENCH_STAMP)

bench-quick: $(BENCH_STAMP) messages postgres
	$(PY) -m bench.run --quick $(BENCH_ARGS)

bench: $(BENCH_STAMP) messages postgres
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
