# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test worker beat bench faults lint format install install-dev migrate demo

# Running needs only the runtime requirements; the test, fuzz and lint tools come with `make test` and friends.
# Each sentinel is remade when its requirements file changes.
$(VENV)/.installed-run: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# requirements-dev.txt starts with `-r requirements.txt`: it installs the runtime too.
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

migrate: install
	CRISIS_EMBEDDED=1 $(PY) manage.py migrate --noinput

demo: migrate
	CRISIS_EMBEDDED=1 $(PY) manage.py seed_demo

# The demo's teams play a calm shift (dispatch/simulator.py); `DEMO_SIMULATOR=0 make run` for a still board.
DEMO_SIMULATOR ?= 1

run: demo
	CRISIS_EMBEDDED=1 DEMO_SIMULATOR=$(DEMO_SIMULATOR) $(PY) manage.py runembedded --port $(PORT)

worker: install
	$(VENV)/bin/celery -A crisis worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A crisis beat --loglevel=INFO

# Two runs: every test but the `serial` ones on TEST_WORKERS processes (pytest-xdist, each with its own test
# database and Redis database: tests/parallel.py), then the serial ones (servers, workers, a browser, the
# benches) one at a time. TEST_WORKERS=0 runs the first part in one process too.
TEST_WORKERS ?= 2

test: install-dev
	CRISIS_TESTING=1 $(PY) -m pytest -p tests.parallel -n $(TEST_WORKERS) -m "not serial"
	CRISIS_TESTING=1 $(PY) -m pytest -m serial

# The bench creates (and recreates) its own database and uses its own Redis
# database; it never touches DATABASE_URL / REDIS_URL. `make bench BENCH_QUICK=1`
# for smaller sizes; see bench/__main__.py for the other knobs.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crisis_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_PORT ?= 8201

bench: install-dev
	CRISIS_EMBEDDED=1 BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		BENCH_PORT=$(BENCH_PORT) $(PY) -m bench

# Breaks a private PostgreSQL, Redis, uvicorn, worker and beat of its own on purpose (never DATABASE_URL /
# REDIS_URL) and prints what each fault cost; see tests/faults/run.py. About 10 minutes on 2 cores.
faults: install-dev
	$(PY) -m tests.faults.run $(FAULTS_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
