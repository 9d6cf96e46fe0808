# Safeguard: `make run` serves the demo school, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BOOTSTRAP := node_modules/bootstrap/dist/css/bootstrap.min.css
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check security assets venv clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Safeguard needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

$(BOOTSTRAP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm is needed for the page styles (Bootstrap). Install Node.js and npm:"; \
		echo "  Debian/Ubuntu: sudo apt-get install -y nodejs npm"; \
		echo "  macOS:         brew install node"; \
		exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $(BOOTSTRAP)

assets: $(BOOTSTRAP)

run: venv assets
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: venv lint
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

security: venv
	bash .ci/security

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
