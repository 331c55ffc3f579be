# skillmatch — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run prepare test test-slow lint format bench clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools<81' wheel
	# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install (idempotent)

prepare: $(STAMP) ## Prepare the demo catalog if there is none
	$(BIN)/skillmatch prepare

run: prepare ## Serve on $(HOST):$(PORT) (default 127.0.0.1:8000), preparing data first
	$(BIN)/skillmatch serve --host $(HOST) --port $(PORT)

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy catalog indexing service

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## Lint, then the test suite (slow tests excluded)
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP) ## Only the slow tests
	$(BIN)/python -m pytest -m slow

bench: $(STAMP) ## Benchmarks (print figures; the 1M-course index bench takes ~10 min)
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/bench_match.py
	$(BIN)/python bench/bench_index.py 10000 100000

clean: ## Remove generated data (keeps the virtualenv)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
