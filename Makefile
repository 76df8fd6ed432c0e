# Handwritten Digits in Go: set-up, notebooks and tests.
#
#   make lab         set up, then open JupyterLab on notebooks/
#   make test        set up, then run every test (Go, fuzz seeds, notebooks)
#   make setup       install everything (idempotent; see scripts/setup.sh)
#   make notebooks   re-execute the notebooks in place, saving their outputs
#   make fuzz        run each fuzz target for FUZZTIME (default 30s)

SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
FUZZTIME ?= 30s
LAB_PORT ?= 8888
export VENV
export GOMLX_NO_AUTO_INSTALL := 1
export PATH := $(VENV)/bin:$(PATH)

.PHONY: all setup lab test test-go test-notebooks notebooks fuzz clean

all: test

setup:
	@bash scripts/setup.sh

lab: setup
	jupyter lab --notebook-dir=$(CURDIR)/notebooks --port=$(LAB_PORT)

test: setup test-go test-notebooks

test-go:
	go vet ./...
	go test -count=1 ./...

test-notebooks:
	python -m pytest -v tests

notebooks: setup
	python tests/run_notebooks.py --inplace notebooks/*.ipynb

fuzz:
	go test ./mnist -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME)
	go test ./mnist -run '^$$' -fuzz '^FuzzReadCourseJSON$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(VENV)
