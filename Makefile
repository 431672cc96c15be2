# The two commands: `make run` and `make test`. Each sets itself up first (a virtual environment from
# requirements.lock, `npm ci` in hardhat-local/ from its lockfile), only when the lockfiles changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
NODE_MODULES := hardhat-local/node_modules/.package-lock.json
WEB_MODULES := backend/web/node_modules/.package-lock.json
PYTEST_ARGS ?=

.PHONY: run test setup postgres-server chromium lint typecheck pytest contracts catalogues bench clean help

help:
	@echo "make run        run the platform on a local chain with the demo supply chain, until Ctrl-C"
	@echo "make test       lint (ruff), types (mypy --strict), every test (pytest)"
	@echo "make contracts  recompile contracts/ into chain/artifacts/ with the pinned solc-js"
	@echo "make catalogues  re-extract the pages' messages into supplychain/locale (then translate the new ones)"
	@echo "make bench      print the benchmark figures (supplychain bench: chain, gas, hashing, Merkle, capture, anchoring, queries, page, audit, attack)"

setup: $(VENV)/.installed $(NODE_MODULES) $(WEB_MODULES)

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	VIRTUAL_ENV=$(abspath $(VENV)) $(UV) pip sync --quiet requirements.lock
	VIRTUAL_ENV=$(abspath $(VENV)) $(UV) pip install --quiet --no-deps -e .
	touch $@

$(NODE_MODULES): hardhat-local/package.json hardhat-local/package-lock.json
	cd hardhat-local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The PostgreSQL tests start a throwaway server from Debian's postgresql package: installed here where it is missing
# (as root, with apt-get), otherwise those tests fail saying what to install.
postgres-server:
	@test -n "$(wildcard /usr/lib/postgresql/*/bin/initdb)" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's postgresql for the PostgreSQL tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	      { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }; \
	  else echo "PostgreSQL's server is missing: install Debian's postgresql package for the PostgreSQL tests"; fi; }

$(WEB_MODULES): backend/web/package.json backend/web/package-lock.json
	cd backend/web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests (tests/web) drive Debian's chromium with Playwright: installed here where it is missing (as root,
# with apt-get; a CJK font so screenshots show Chinese), otherwise those tests fail saying what to install.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null 2>&1 || \
	      { apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null; }; \
	  else echo "Chromium is missing: install Debian's chromium package for the browser tests (tests/web)"; fi; }

run: setup
	$(VENV)/bin/supplychain demo

test: setup lint typecheck pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup postgres-server chromium
	$(VENV)/bin/pytest -n 2 --dist loadgroup --cov --cov-report=term $(PYTEST_ARGS)

contracts: setup
	$(PY) -m chain.build

# The pages' messages: extracted from the code and templates into the template, then merged into each catalogue
# (new messages arrive untranslated: tests/test_catalogues.py fails until they have their Chinese).
catalogues: setup
	$(PY) -m backend.pages.catalogues

bench: setup postgres-server
	$(VENV)/bin/supplychain bench chain --engine hardhat
	$(VENV)/bin/supplychain bench chain --engine anvil
	$(VENV)/bin/supplychain bench gas
	$(VENV)/bin/supplychain bench hash
	$(VENV)/bin/supplychain bench merkle
	$(VENV)/bin/supplychain bench capture --processes 2 --clients 2
	$(VENV)/bin/supplychain bench capture --processes 2 --clients 2 --database postgresql
	$(VENV)/bin/supplychain bench anchoring
	$(VENV)/bin/supplychain bench queries
	$(VENV)/bin/supplychain bench page
	$(VENV)/bin/supplychain bench audit -n 1000000
	$(VENV)/bin/supplychain bench attack --minutes 2

clean:
	rm -rf $(VENV) hardhat-local/node_modules hardhat-local/cache hardhat-local/artifacts backend/web/node_modules
