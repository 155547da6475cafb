# Hearth — two commands: `make run` and `make test`. Needs only Python 3.11+.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Never download a Python interpreter: use the one on this machine.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: setup run test lint check clean

$(VENV)/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv sync --frozen
	@touch $@

setup: $(VENV)/.synced

# The embedded default: SQLite, no Redis, a Celery worker with embedded beat on kombu's
# filesystem transport (so rituals, metrics and digests run while the site is up).
run: setup
	@export DJANGO_DEBUG=true CELERY_TASK_ALWAYS_EAGER=false; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo && \
	{ $(VENV)/bin/celery -A config worker --beat --pool=solo --loglevel=INFO \
	    --schedule=var/celerybeat-schedule > var/worker.log 2>&1 & echo $$! > var/worker.pid; } && \
	trap 'kill $$(cat var/worker.pid) 2>/dev/null; rm -f var/worker.pid' EXIT INT TERM; \
	echo "Embedded worker + beat running (log: var/worker.log)."; \
	echo "Hearth is starting on http://$(HOST):$(PORT)/"; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true

check: setup
	$(VENV)/bin/ruff check .
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=true $(PY) manage.py check

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
