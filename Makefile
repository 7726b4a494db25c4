# Retour — two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTHON ?= python3

.PHONY: run test install messages static lint pytest e2e clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
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
	@echo "Retour is starting on http://localhost:$${PORT:-8000} (Ctrl-C stops web, worker and beat)."
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install
	@DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) preflight
	$(MAKE) --no-print-directory lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod DJANGO_SECRET_KEY=dummy-$$RANDOM-secret-key-for-check-deploy-only-0123456789abcdef \
		DJANGO_ALLOWED_HOSTS=retour.example $(MANAGE) check --deploy --fail-level WARNING
	@$(MAKE) --no-print-directory messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

e2e: install
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
