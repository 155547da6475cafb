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
# config/embedded.py migrates, seeds the demo once (idempotent), starts worker and web server,
# and stops both on Ctrl-C or SIGTERM.
run: setup
	$(PY) -m config.embedded --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(VENV)/bin/mypy

check: setup
	$(VENV)/bin/ruff check .
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=true $(PY) manage.py check

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
