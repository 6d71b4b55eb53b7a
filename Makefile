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

.PHONY: demo test lint setup setup-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp files make a second `make` skip the install when pyproject.toml has not changed.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,examples]"
	touch $@

$(VENV)/.installed-examples: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[examples]"
	touch $@

setup: $(VENV)/.installed-examples

setup-test: $(VENV)/.installed-test

demo: setup
	$(BIN)/jupyter-experiments --log-level INFO demo --epochs $(EPOCHS)
ifeq ($(NO_LAB),)
	$(BIN)/jupyter lab $(ALLOW_ROOT) --port $(PORT) examples/mnist/mnist-experiment.ipynb
endif

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup-test lint
	$(BIN)/python -m pytest -p no:cacheprovider

clean:
	rm -rf $(VENV) build dist *.egg-info
