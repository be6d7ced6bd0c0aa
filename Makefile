# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test worker beat bench lint format install migrate demo

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

bench: install
	CRISIS_EMBEDDED=1 $(PY) -m bench

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
