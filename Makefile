# Handwritten Digits in Go: set-up, notebooks and tests.
#
#   make run         set up, then train the course's CNN as chapter 3 does
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

RUN_DIR ?= runs/$(shell date +%Y%m%d-%H%M%S)

.PHONY: all run setup lab test test-go test-notebooks test-browser notebooks fuzz clean

all: test

setup:
	@bash scripts/setup.sh

# The network-structure chapter (网络结构): the CNN trained as a regression of
# the digit, SGD lr 0.01, batch 100, 10 epochs, loss printed every 200
# batches; the checkpoint and the loss curve go to $(RUN_DIR).
run: setup
	. $(VENV)/digits.env && digits train -model cnn -task regression -checkpoint $(RUN_DIR)/cnn-regression.ckpt

lab: setup
	. $(VENV)/digits.env && jupyter lab --notebook-dir=$(CURDIR)/notebooks --port=$(LAB_PORT)

test: setup test-go test-notebooks test-browser

# digits.env (written by setup) holds the ONNX Runtime library path and the
# onnx build tag, so the export and its tests are built and run too.
test-go:
	. $(VENV)/digits.env && go vet ./... && DIGITS_PYTHON=$(VENV)/bin/python go test -count=1 ./...

# The notebooks run in quick mode here (DIGITS_QUICK batches per epoch, 20
# unless set): every training cell says so in its output.
test-notebooks:
	@echo "notebooks: QUICK MODE, $${DIGITS_QUICK:-20} batches per epoch (make notebooks runs them in full)"
	. $(VENV)/digits.env && DIGITS_QUICK=$${DIGITS_QUICK:-20} python -m pytest -v --durations=0 tests

# JupyterLab driven by Debian's Chromium through Playwright: runs the network
# structure notebook (quick mode) and checks its loss plot is visible; the
# screenshot is kept in testoutput/browser/.
test-browser:
	DIGITS_QUICK=$${DIGITS_QUICK:-20} bash tests/browser/test_browser.sh

notebooks: setup
	. $(VENV)/digits.env && python tests/run_notebooks.py --inplace notebooks/*.ipynb

fuzz:
	go test ./mnist -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME)
	go test ./mnist -run '^$$' -fuzz '^FuzzReadCourseJSON$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(VENV)
