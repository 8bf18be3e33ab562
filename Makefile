# patrolnet: two commands on a fresh machine.
#   make demo   set up, build the demo workspace (first run only) and serve it on 127.0.0.1:8000
#   make test   set up and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS_STAMP := assets/node_modules/.installed
WORKSPACE ?= data/demo/yushui.gpkg
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup assets demo test bench lint clean

setup: $(STAMP) $(ASSETS_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "patrolnet needs Python 3.11 or newer ($(PYTHON) is older); run: make PYTHON=python3.11 ..."; exit 2; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m routing.warm
	touch $(STAMP)

# Map assets (Leaflet, plugins, Swagger UI) come from the npm registry at pinned versions
# (assets/package-lock.json) and are served by the app: nothing is loaded from a CDN.
$(ASSETS_STAMP): assets/package.json assets/package-lock.json
	cd assets && npm ci --no-audit --no-fund --loglevel=error
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

demo: setup
	$(VENV)/bin/patrolnet demo --workspace $(WORKSPACE) --lived-in --field-week --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) assets/node_modules .pytest_cache data/demo
