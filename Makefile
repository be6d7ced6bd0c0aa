# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test worker beat bench faults lint format install migrate demo

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	CRISIS_EMBEDDED=1 $(PY) manage.py migrate --noinput

demo: migrate
	CRISIS_EMBEDDED=1 $(PY) manage.py seed_demo

run: demo
	CRISIS_EMBEDDED=1 $(PY) manage.py runembedded --port $(PORT)

worker: install
	$(VENV)/bin/celery -A crisis worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A crisis beat --loglevel=INFO

test: install
	CRISIS_TESTING=1 $(PY) -m pytest

# The bench creates (and recreates) its own database and uses its own Redis
# database; it never touches DATABASE_URL / REDIS_URL. `make bench BENCH_QUICK=1`
# for smaller sizes; see bench/__main__.py for the other knobs.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crisis_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_PORT ?= 8201

bench: install
	CRISIS_EMBEDDED=1 BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		BENCH_PORT=$(BENCH_PORT) $(PY) -m bench

# Breaks a private PostgreSQL, Redis, uvicorn, worker and beat of its own on purpose (never DATABASE_URL /
# REDIS_URL) and prints what each fault cost; see tests/faults/run.py. About 10 minutes on 2 cores.
faults: install
	$(PY) -m tests.faults.run $(FAULTS_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
