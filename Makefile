# Safeguard: `make run` serves the demo school, `make test` runs the suite, `make e2e` the
# browser journeys, `make check` the linters, types and import contracts.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
BOOTSTRAP := node_modules/bootstrap/dist/css/bootstrap.min.css
HOST ?= 127.0.0.1
PORT ?= 8000
E2E_STAMP := $(VENV)/.installed-e2e
BENCH_STAMP := $(VENV)/.installed-bench
CHROMIUM := /usr/bin/chromium
CHROMIUM_GB := /usr/lib/chromium/locales/en-GB.pak

.PHONY: run test e2e chromium pdf-libs lint format lint-templates types imports check security assets venv \
	dev clean load drill bench

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Safeguard needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

# The test, lint and type tools on top of the runtime packages: every target that runs them
# depends on this stamp, which a change to either requirements file renews.
$(DEV_STAMP): $(STAMP) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(DEV_STAMP)

dev: $(DEV_STAMP)

$(BOOTSTRAP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm is needed for the page styles (Bootstrap). Install Node.js and npm:"; \
		echo "  Debian/Ubuntu: sudo apt-get install -y nodejs npm"; \
		echo "  macOS:         brew install node"; \
		exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $(BOOTSTRAP)

assets: $(BOOTSTRAP)

# The browser journeys' OpenID Connect provider (npm's oidc-provider, a devDependency): npm ci
# installs it with Bootstrap; this catches a node_modules made before it was added.
OIDC_PROVIDER := node_modules/oidc-provider/package.json
$(OIDC_PROVIDER): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $(OIDC_PROVIDER)

# The demo as a school sees it (DEMO=1: the app's own error pages, no debug page), on SQLite.
# Emailed links (printed to the console) point at the address served.
run: venv assets pdf-libs
	DEMO=1 $(PY) manage.py migrate --noinput
	DEMO=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py load_demo
	@echo "Serving the demo school at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEMO=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

# The governors' PDF (WeasyPrint) draws text with the system's Pango and DejaVu fonts; the
# browser journeys read its first page back with pdftoppm. Installed with apt-get as root;
# anyone else is told what to install. Without them every page but the PDF still works.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
pdf-libs:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! ldconfig -p | grep -q 'libharfbuzz-subset.so.0' \
		|| [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
		|| ! command -v pdftoppm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing the PDF's libraries and fonts: apt-get install -y $(PDF_LIBS)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS); \
		else \
			echo "The governors' PDF needs: sudo apt-get install -y $(PDF_LIBS)"; \
		fi; \
	fi

# Both cores (pytest-xdist): each worker has its own test database, which holds its uploads.
test: dev pdf-libs
	$(PY) -m pytest -n auto -m "not e2e"
	@echo "The browser journeys (tests/e2e) are not part of make test: make e2e runs them."

$(E2E_STAMP): $(DEV_STAMP) requirements-e2e.txt
	$(PY) -m pip install --quiet -r requirements-e2e.txt
	@touch $(E2E_STAMP)

# Debian's Chromium (with its British English language pack, for day-first date fields).
# Installed with apt-get when run as root; anyone else is told what to install.
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CHROMIUM_GB) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's Chromium: apt-get install -y chromium chromium-l10n"; \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n; \
		elif [ ! -x $(CHROMIUM) ]; then \
			echo "The browser journeys need Debian's Chromium at $(CHROMIUM). Install it with:"; \
			echo "  sudo apt-get install -y chromium chromium-l10n"; \
			echo "then run make e2e again. (make test does not need it.)"; \
			exit 1; \
		else \
			echo "Without chromium-l10n, date fields show the month first: sudo apt-get install -y chromium-l10n"; \
		fi; \
	fi

# Serial: the journeys share one live server.
e2e: dev assets $(OIDC_PROVIDER) $(E2E_STAMP) chromium pdf-libs
	$(PY) -m pytest tests/e2e -m e2e

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $(BENCH_STAMP)

# Load test: two gunicorn app servers (production settings) over one PostgreSQL on loopback,
# locust for 60 s (a scan uploaded to one server is downloaded from the other), then every
# acknowledged write and file looked up and the audit chain verified. Makes and seeds the database
# safeguard_load_large on the first run (about ten minutes), then reuses it. LOAD_ARGS passes
# options, e.g. LOAD_ARGS="--threads 2,4,8", "--scale small" or "--servers 1".
load: venv assets $(BENCH_STAMP)
	$(PY) -m bench.load.run $(LOAD_ARGS)

# Restart drill: the load test with PostgreSQL stopped for five seconds mid-run (it waits for
# other users of PostgreSQL on this machine to finish first). Prints the timeline.
drill: venv assets $(BENCH_STAMP)
	$(PY) -m bench.drill $(DRILL_ARGS)

# Benchmark (docs/performance.md, "Benchmark"): the daily pages on PostgreSQL at small and large
# scale, side by side with a trivial page and Django's admin; results in bench/results/ and the
# table in docs/performance.md. Makes, migrates and seeds safeguard_bench_small and _large
# afresh (large: about ten minutes); BENCH_ARGS=--reuse keeps them, e.g.
# BENCH_ARGS="--reuse --scale small". Not part of make test. Starts PostgreSQL if it is down.
bench: venv
	@if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
		echo "PostgreSQL is not answering; starting it."; \
		pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n1)" main start; \
		for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL did not start." >&2; exit 1; }
	$(PY) -m bench.benchmark $(BENCH_ARGS)

lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# djlint's rules are set in pyproject.toml ([tool.djlint]).
lint-templates: dev
	$(VENV)/bin/djlint templates --lint

# mypy and import-linter read their settings from pyproject.toml.
types: dev
	$(VENV)/bin/mypy

imports: dev
	$(VENV)/bin/lint-imports

# In order: Python lint and format, template lint, types, import contracts, then no model
# change without its migration.
check: lint lint-templates types imports
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

security: dev
	bash .ci/security

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .mypy_cache
