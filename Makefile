# The two commands a newcomer needs: `make lab` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp
LAB_STAMP = $(VENV)/.lab-stamp
CHROMIUM ?= /usr/bin/chromium
HOST   ?= 127.0.0.1
PORT   ?= 8888
# quiet (-qq: errors only; a pip config naming a missing extra index would add a warning per package),
# and no .pyc compiled at install time (Python writes them on first import): a first `make lab`
# spends its time on what the lab needs, not on compiling the test tools' files
PIP_INSTALL = $(PY) -m pip install -qq --no-compile --disable-pip-version-check

.PHONY: setup setup-lab lab test lint dashboard classroom sandbox bench soak chromium curl clean

# The venv is made once; each install step below runs again only when pyproject.toml changes.
$(PY):
	$(PYTHON) -m venv $(VENV)

# What the lab needs: the package with JupyterLab, Voila, papermill and matplotlib (the [lab] extra).
$(LAB_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[lab]'
	touch $(LAB_STAMP)

# Everything: the lab plus the test and code-health tools (the [test] extra).
$(STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[test]'
	touch $(STAMP) $(LAB_STAMP)

setup: $(STAMP)
setup-lab: $(LAB_STAMP)

# Debian's Chromium for the browser test (Playwright is pointed at it; it never downloads a browser).
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian chromium (needed by the browser test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The curl binary, for the test that replays `s.curl()`'s commands with it.
curl:
	@command -v curl >/dev/null || { \
	  echo "installing curl (needed by the s.curl() replay test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

## make lab: JupyterLab on the notebooks, against the embedded sandbox (no account needed).
# Jupyter refuses to run as root unless told to (containers, CI machines): say so only when root.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: setup-lab
	$(VENV)/bin/jupyter lab --ip=$(HOST) --port=$(PORT) --no-browser $(ALLOW_ROOT) \
	  --ServerApp.root_dir=notebooks

## make test: every test (unit, client<->sandbox over HTTP, widgets, nbval notebooks, browser).
test: setup chromium curl lint
	$(PY) -m pytest

## make lint: ruff (lint and format) over the whole tree, mypy over the package (pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## make dashboard: the forms and job boards alone (dashboard/build-servers.ipynb) served by Voila.
DASHBOARD_PORT ?= 8866
dashboard: setup-lab
	$(VENV)/bin/voila dashboard/build-servers.ipynb --Voila.ip=$(HOST) \
	  --port=$(DASHBOARD_PORT) --no-browser

## make classroom: a sandbox for a class (TRAINEES accounts; roster, state and logs in CLASSROOM_DIR) and the
## instructor's board on http://127.0.0.1:BOARD_PORT/ (Voila). Trainees on other machines: HOST=0.0.0.0
## CLASSROOM_FLAGS=--allow-remote. docs/classroom.md says more.
TRAINEES ?= 10
CLASSROOM_DIR ?= classroom
CLASSROOM_PORT ?= 8080
BOARD_PORT ?= 8867
CLASSROOM_FLAGS ?=
classroom: setup-lab
	$(PY) dashboard/classroom.py --trainees $(TRAINEES) --dir $(CLASSROOM_DIR) --host $(HOST) \
	  --port $(CLASSROOM_PORT) --board-port $(BOARD_PORT) $(CLASSROOM_FLAGS)

## make sandbox: the emulator alone, for curl or another client.
sandbox: setup-lab
	$(VENV)/bin/clc-sandbox --host $(HOST) --port 8080

## make bench: benchmarks, written to benchmarks/RESULTS.md.
bench: setup
	$(PY) -m benchmarks

## make soak: the long versions of the reliability tests.
soak: setup
	CLC_SOAK=1 $(PY) -m pytest tests/reliability -m "not browser"

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
