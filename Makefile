# Retour — two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The interpreter that creates the virtualenv: the first of python3, python3.13, python3.12,
# python3.11 on PATH that really runs and is 3.11+ (a pyenv shim may exist without its Python).
ifndef PYTHON
PYTHON := $(shell for c in python3 python3.13 python3.12 python3.11; do \
	command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { command -v $$c; break; }; done)
endif

# The one port `make run` serves on. Like honcho (which starts the processes), a value in .env wins
# over the environment; Django reads the same RETOUR_PORT for SITE_URL and the demo message.
RETOUR_PORT := $(or $(shell grep -E '^[[:space:]]*RETOUR_PORT[[:space:]]*=' .env 2>/dev/null | tail -n 1 | cut -d= -f2- | tr -dc 0-9),$(RETOUR_PORT),8000)
export RETOUR_PORT

# The edit loop skips the browser and the real-worker tests; `make test` runs everything.
FAST_MARKERS := not e2e and not worker

.PHONY: run test test-fast install messages static lint checks pytest e2e screenshots smoke clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || { \
		test -n "$(PYTHON)" || { echo "make: no python3 on PATH; install Python 3.11+." >&2; exit 1; }; \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
			|| { echo "make: $(PYTHON) is older than Python 3.11; set PYTHON=/path/to/python3.11+." >&2; exit 1; }; \
		$(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# Compile the French catalog: gettext's msgfmt when present, else Babel (pure Python).
messages: install
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0; \
	else $(VENV)/bin/pybabel compile -d locale -D django --statistics; fi

static: install
	$(MANAGE) collectstatic --noinput -v0

run: install
	@$(MANAGE) preflight
	$(MANAGE) migrate --noinput
	@$(MAKE) --no-print-directory messages static
	$(MANAGE) seed_demo
	@echo "Retour is starting on http://localhost:$(RETOUR_PORT) (Ctrl-C stops web, worker and beat)."
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# Everything `make test` checks before pytest.
checks: install
	@DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) preflight
	$(MAKE) --no-print-directory lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod DJANGO_SECRET_KEY=dummy-$$RANDOM-secret-key-for-check-deploy-only-0123456789abcdef \
		DJANGO_ALLOWED_HOSTS=retour.example $(MANAGE) check --deploy --fail-level WARNING
	@$(MAKE) --no-print-directory messages

test: checks
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The edit loop: the same checks, then pytest without the browser and the real Celery worker.
test-fast: checks
	$(VENV)/bin/pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

e2e: install
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

# Refresh the README's screenshots (docs/); tests otherwise never write into the tree.
screenshots: install
	RETOUR_SCREENSHOTS=1 $(VENV)/bin/pytest tests/e2e -k readme_screenshots $(PYTEST_ARGS)

# `make run` from a clean environment, then sign in over HTTP as the demo product owner (scripts/smoke.sh).
smoke:
	scripts/smoke.sh

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
