# Two entry points: `make demo` (set up, run the tracked MNIST-style experiment, open
# JupyterLab) and `make test` (set up, run the whole suite). Both create or reuse .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EPOCHS ?= 200
PORT ?= 8888
NO_LAB ?=

# jupyter refuses to run as root without --allow-root (containers, CI).
ALLOW_ROOT := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: demo test ui-test frontend lint setup setup-test clean

# Scripts in package.json call `jlpm` and `jupyter-builder`, which live in the venv.
JLPM := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jlpm
LABEXTENSION := jupyter_experiments/labextension/package.json
FRONTEND_SOURCES := $(shell find labextension -type f) package.json yarn.lock tsconfig.json

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp files make a second `make` skip the install when pyproject.toml and package.json
# have not changed.
# `pip install -e` also builds the Lab extension (jlpm install, jlpm build) through the
# hatch-jupyter-builder hook; `jupyter-builder develop` then links the built extension into the
# venv, so that a later `make frontend` takes effect without reinstalling.
$(VENV)/.installed-test: pyproject.toml package.json | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,examples,postgres]"
	$(BIN)/jupyter-builder develop --overwrite .
	touch $@

$(VENV)/.installed-examples: pyproject.toml package.json | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[examples]"
	$(BIN)/jupyter-builder develop --overwrite .
	touch $@

# Rebuild the Lab extension when a TypeScript, CSS, schema or package file changed.
$(LABEXTENSION): $(FRONTEND_SOURCES) | $(VENV)/.installed-test
	$(JLPM) install
	$(JLPM) build

frontend: $(LABEXTENSION)

setup: $(VENV)/.installed-examples

setup-test: $(VENV)/.installed-test

# A store written by an older version is migrated first; a new one is created.
demo: setup
	$(BIN)/jupyter-experiments db upgrade
	$(BIN)/jupyter-experiments --log-level INFO demo --epochs $(EPOCHS)
ifeq ($(NO_LAB),)
	$(BIN)/jupyter lab $(ALLOW_ROOT) --port $(PORT) examples/mnist/mnist-experiment.ipynb
endif

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(JLPM) lint

test: setup-test lint
	$(JLPM) test
	$(BIN)/python -m pytest -p no:cacheprovider
	$(MAKE) ui-test

# Browser tests: JupyterLab in Debian's Chromium (apt-get install -y chromium); they skip when
# /usr/bin/chromium is missing.
ui-test: setup-test frontend
	$(BIN)/python -m pytest -p no:cacheprovider ui-tests

clean:
	rm -rf $(VENV) build dist *.egg-info node_modules lib jupyter_experiments/labextension
