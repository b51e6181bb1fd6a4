# The two commands a newcomer needs: `make lab` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
HOST   ?= 127.0.0.1
PORT   ?= 8888

.PHONY: setup lab test lint dashboard sandbox bench soak chromium clean

# The venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser test (Playwright is pointed at it; it never downloads a browser).
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian chromium (needed by the browser test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## make lab: JupyterLab on the notebooks, against the embedded sandbox (no account needed).
# Jupyter refuses to run as root unless told to (containers, CI machines): say so only when root.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: setup
	$(VENV)/bin/jupyter lab --ip=$(HOST) --port=$(PORT) --no-browser $(ALLOW_ROOT) \
	  --ServerApp.root_dir=notebooks

## make test: every test (unit, client<->sandbox over HTTP, widgets, nbval notebooks, browser).
test: setup chromium lint
	$(PY) -m pytest

## make lint: ruff (lint and format) over the whole tree, mypy over the package (pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## make dashboard: notebook 02 as a Voila dashboard.
DASHBOARD_PORT ?= 8866
dashboard: setup
	$(VENV)/bin/voila notebooks/02-build-servers-with-widgets.ipynb --Voila.ip=$(HOST) \
	  --port=$(DASHBOARD_PORT) --no-browser

## make sandbox: the emulator alone, for curl or another client.
sandbox: setup
	$(VENV)/bin/clc-sandbox --host $(HOST) --port 8080

## make bench: benchmarks, written to benchmarks/RESULTS.md.
bench: setup
	$(PY) -m benchmarks

## make soak: the long versions of the reliability tests.
soak: setup
	CLC_SOAK=1 $(PY) -m pytest tests/reliability -m "not browser"

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
