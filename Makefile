# Two commands set everything up on a fresh machine: `make run` and `make test` (see README.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-browser lint format install clean system-deps bench catalogues messages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed catalogues

## Languages (README "Languages"): `make messages` extracts every marked string into messages.pot and merges it
## into each language's messages.po; translators then fill in the .po files; `make catalogues` compiles them
## (the .mo files are built here, never committed).
TRANSLATIONS := consult_app/translations
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@
catalogues: $(CATALOGUES)
messages: $(VENV)/.installed
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-location --sort-output --omit-header \
		--keywords _l --keywords lazy_gettext --keywords lazy_ngettext:1,2 -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 120 -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

# axe-core and vnu-jar for the browser tests, exactly as package-lock.json pins them. --ignore-scripts: vnu-jar's
# install script would try to download a Java runtime; the machine's java (default-jre-headless) runs vnu.jar.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

## What the tests need from the machine besides Python: Debian's Chromium, a Java runtime for the Nu Html
## Checker, Node.js and npm for axe-core and vnu-jar, and redis-server. Installed with apt-get when this runs as
## root; otherwise it stops before any test starts and prints the one command to run.
SYSTEM_PACKAGES_CHECK = \
	missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	java -version >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"
system-deps:
	@$(SYSTEM_PACKAGES_CHECK); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "make test needs packages this machine lacks. Run: sudo apt-get install -y$$missing"; exit 1; \
	fi; \
	echo "== installing$$missing"; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing

## Create the environment, migrate, set up the demo consultation and serve on http://127.0.0.1:5000
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) guidance load
	@echo "== Consult: open http://$(HOST):$(PORT)/ (the demo accounts are listed above the first time, and in README.md)"
	CONSULT_BASE_URL=http://$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

## Lint, then every test on SQLite (browser tests included) and, when TEST_DATABASE_URL is set, at the same time
## every test again on PostgreSQL (without tests/browser/: they serve the app from a SQLite file of their own).
## The two runs share nothing (each has its own databases, ports, Redis keys and temporary folder) and together
## keep both cores busy; the PostgreSQL run's output is printed when it ends, and either failing fails the target.
## Tests marked `postgres` (PostgreSQL's query plans, a cut PostgreSQL connection) then run in the PostgreSQL run
## only; without TEST_DATABASE_URL they are skipped, with the reason.
PG_LOG := test-artifacts/postgresql.log
test: system-deps install lint node_modules/.installed
	@mkdir -p test-artifacts
	@set -u; pg=; trap '[ -z "$$pg" ] || kill $$pg' INT TERM; \
	if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== the suite on PostgreSQL ($$TEST_DATABASE_URL) runs alongside, into $(PG_LOG)"; \
		$(BIN)/python -m pytest --ignore=tests/browser -p no:cacheprovider \
			--basetemp=test-artifacts/pytest-postgresql >$(PG_LOG) 2>&1 & pg=$$!; \
	fi; \
	echo "== the suite on SQLite"; \
	if [ -n "$$pg" ]; then only_sqlite="not postgres"; else only_sqlite=""; fi; \
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest --durations=15 $${only_sqlite:+-m "$$only_sqlite"}; sqlite_status=$$?; \
	pg_status=0; \
	if [ -n "$$pg" ]; then \
		wait $$pg; pg_status=$$?; \
		echo "== the suite on PostgreSQL ($$TEST_DATABASE_URL)"; cat $(PG_LOG); \
	fi; \
	echo "== SQLite: exit $$sqlite_status; PostgreSQL: exit $$pg_status"; \
	[ $$sqlite_status -eq 0 ] && [ $$pg_status -eq 0 ]

## Only the browser tests (Chromium, axe-core, the Nu Html Checker); screenshots go to test-artifacts/
test-browser: system-deps install node_modules/.installed
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest tests/browser

## Every benchmark of bench/ on SQLite and on PostgreSQL, then one summary line per figure and target
## (needs wrk, sqlite3, psql, Redis and PostgreSQL on 127.0.0.1; BENCH_OPTIONS=--quick for smaller sizes)
bench: install
	$(BIN)/python bench/all.py $(BENCH_OPTIONS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules test-artifacts
