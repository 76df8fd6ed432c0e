# Handwritten Digits in Go: set-up, notebooks and tests.
#
#   make run         set up, then train the course's CNN as chapter 3 does
#   make lab         set up, then open JupyterLab on notebooks/
#   make test        set up, then run every test (Go, fuzz seeds, notebooks,
#                    browser, classroom image: Dockerfile lint, offline
#                    installation, JupyterHub, the image built and run)
#   make setup       install everything (idempotent; see scripts/setup.sh)
#   make notebooks   re-execute the notebooks in place, saving their outputs
#   make fuzz        run each fuzz target for FUZZTIME (default 30s)
#   make bench       time the models on GoMLX against PyTorch, JAX and
#                    PaddlePaddle (installs them into .venv-bench; minutes)
#   make bench-gpu   the same on an NVIDIA GPU: GoMLX on XLA's CUDA plugin
#                    against PyTorch and JAX on CUDA (scripts/bench-gpu.sh)
#   make bench-cells time a notebook cell, from execute to output, on the
#                    GoNB kernel and on the Python kernel (about 2 minutes)
#
# CELL_LDFLAGS (make setup CELL_LDFLAGS=...) sets the linker flags of the
# program that GoNB builds for each cell; the default, "-s -linkmode=internal",
# cuts a cell's wait by more than half; CELL_LDFLAGS= restores Go's defaults.
# CELL_GOPROXY sets the kernel's GOPROXY (default: the module cache first,
# then the GOPROXY of setup's environment); CELL_GOPROXY= leaves it unset.

SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
BENCH_VENV ?= $(CURDIR)/.venv-bench
BENCH_FLAGS ?=
BENCH_CELLS_FLAGS ?= --first-plot --build-trace= --build-trace=-s '--build-trace=-s -linkmode=internal'
FUZZTIME ?= 30s
LAB_PORT ?= 8888
export VENV
export GOMLX_NO_AUTO_INSTALL := 1
export PATH := $(VENV)/bin:$(PATH)

RUN_DIR ?= runs/$(shell date +%Y%m%d-%H%M%S)

.PHONY: all run setup lab test test-go test-bench test-notebooks test-browser test-draw test-docker-lint test-offline test-hub test-image notebooks fuzz bench bench-setup bench-gpu bench-cells clean

all: test

setup:
	@bash scripts/setup.sh

# The network-structure chapter (网络结构): the CNN trained as a regression of
# the digit, SGD lr 0.01, batch 100, 10 epochs, loss printed every 200
# batches; the checkpoint and the loss curve go to $(RUN_DIR).
run: setup
	@start=$$(date +%s); \
	. $(VENV)/digits.env && digits train -model cnn -task regression -checkpoint $(RUN_DIR)/cnn-regression.ckpt && \
	echo "make run: the chapter-3 CNN trained in $$(( $$(date +%s) - start ))s, compilation included ($$(grep -o -m1 -w 'avx512f' /proc/cpuinfo || grep -o -m1 -w 'avx2' /proc/cpuinfo || echo 'no AVX2'))"

lab: setup
	. $(VENV)/digits.env && jupyter lab --notebook-dir=$(CURDIR)/notebooks --port=$(LAB_PORT)

TEST_PARTS := test-go test-bench test-notebooks test-browser test-docker-lint test-offline test-hub test-image

# Every part in turn, each timed; the summary at the end says which took how long.
test: setup
	@MAKE="$(MAKE)" bash scripts/test-parts.sh $(TEST_PARTS)

# digits.env (written by setup) holds the ONNX Runtime library path and the
# onnx build tag, so the export and its tests are built and run too.
test-go:
	. $(VENV)/digits.env && go vet ./... && DIGITS_PYTHON=$(VENV)/bin/python go test -count=1 ./...

# A smoke run of `digits bench` on the real data: three steps per case, no
# peers (make bench installs and runs them); it checks the command works,
# its figures are not measurements and its table says so.
test-bench:
	mkdir -p testoutput/bench && . $(VENV)/digits.env && digits bench -steps 3 -batches 100 -peers '' -go-images 100 -o testoutput/bench/smoke.json

# The notebooks run in quick mode here (DIGITS_QUICK batches per epoch, 20
# unless set): every training cell says so in its output.
test-notebooks:
	@echo "notebooks: QUICK MODE, $${DIGITS_QUICK:-20} batches per epoch (make notebooks runs them in full)"
	. $(VENV)/digits.env && DIGITS_QUICK=$${DIGITS_QUICK:-20} python -m pytest -v --durations=0 tests

# JupyterLab driven by Debian's Chromium through Playwright: opens the
# committed network-structure notebook without running it (untrusted, as a
# fresh clone is) and checks every picture shows; then runs it (quick mode)
# and checks its loss plot is visible; screenshots in testoutput/browser/.
# Then test-draw.
test-browser:
	DIGITS_QUICK=$${DIGITS_QUICK:-20} bash tests/browser/test_browser.sh
	$(MAKE) test-draw

# The drawing canvas (package draw) in Chromium: a 1, a 7 and a 0 drawn with
# the mouse on the page of `digits serve` and on the notebook cell's canvas
# (tests/browser/draw_widget.ipynb in JupyterLab, and headless); an MLP and a
# CNN, trained once and kept in testoutput/browser/draw/, must show each
# digit. Screenshots: testoutput/browser/draw-*.png.
test-draw:
	bash tests/browser/test_draw.sh

# The classroom image (docker/), without a Docker engine: hadolint over its
# Dockerfile; its installation (setup.sh in shared mode) into a fresh prefix
# as an unprivileged user, then notebooks run with the network gone; and two
# students on a local JupyterHub. Transcripts go to testoutput/.
test-docker-lint:
	hadolint --failure-threshold style docker/Dockerfile && echo "hadolint docker/Dockerfile: no findings"

test-offline:
	DIGITS_QUICK=$${DIGITS_QUICK:-20} bash tests/offline/test_offline.sh

test-hub:
	bash tests/hub/test_hub.sh

# The classroom image itself (tests/image/test_image.sh): built (on a Debian 13
# base made with debootstrap where Docker Hub is out of reach), then run with
# no network and a volume over /home/jovyan: healthy, token, uid 1000,
# notebooks 00 and 03 (quick mode); then JupyterHub spawns it for two students
# with DockerSpawner. On Debian as root it installs and starts Debian's
# docker.io when no engine runs; elsewhere it says SKIPPED and why.
# IMAGE=NAME tests a built image; KEEP_IMAGE=1 keeps the one it builds.
test-image:
	DIGITS_QUICK=$${DIGITS_QUICK:-20} bash tests/image/test_image.sh

# The benchmark: GoMLX (data on the backend, host batches, pure Go) and the
# peers PyTorch, JAX and PaddlePaddle (CPU) from bench/requirements-peers.txt,
# in one run; the table goes to the terminal and testoutput/bench/bench.md,
# the report to testoutput/bench/bench.json. BENCH_FLAGS adds digits bench
# flags, e.g. BENCH_FLAGS="-models cnn -batches 100".
bench: setup bench-setup
	set -o pipefail; mkdir -p testoutput/bench && . $(VENV)/digits.env && \
	  digits bench -python $(BENCH_VENV)/bin/python -o testoutput/bench/bench.json $(BENCH_FLAGS) | tee testoutput/bench/bench.md

bench-setup:
	@bash scripts/setup-bench.sh

# The benchmark on an NVIDIA GPU (scripts/bench-gpu.sh): make setup with the
# XLA CUDA plugin (XLA_CUDA=1), the peers of make bench with JAX's CUDA
# plugin added (bench/requirements-peers-cuda.txt; PyPI's PyTorch is already
# its CUDA build), then GoMLX, PyTorch and JAX on the GPU in one run, and the
# chapter-3 CNN trained there. Tables: testoutput/bench/bench-gpu.md.
bench-gpu: export XLA_CUDA := 1
bench-gpu: setup bench-setup
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --require-hashes -r bench/requirements-peers-cuda.txt
	. $(VENV)/digits.env && DIGITS_BENCH_PYTHON=$(BENCH_VENV)/bin/python BENCH_FLAGS="$(BENCH_FLAGS)" bash scripts/bench-gpu.sh

# Cell latency (bench/cells/cells.py): the kernel of make setup runs the
# notebooks' binding cell, an import cell and 20 trivial cells; the Python
# kernel of .venv does the same; median, p90 and GoNB's phases per cell, and
# chapter 3's time to its first picture in quick mode. Against the kernel
# without CELL_LDFLAGS and CELL_GOPROXY, interleaved:
# BENCH_CELLS_FLAGS="--compare --env GOFLAGS=-tags=onnx --env GOPROXY= --rounds 3".
# The table goes to testoutput/bench/cells.md, the report to cells.json.
bench-cells: setup
	set -o pipefail; mkdir -p testoutput/bench && . $(VENV)/digits.env && \
	  python bench/cells/cells.py $(BENCH_CELLS_FLAGS) --out testoutput/bench/cells.json | tee testoutput/bench/cells.md

notebooks: setup
	. $(VENV)/digits.env && python tests/run_notebooks.py --inplace notebooks/*.ipynb

fuzz:
	go test ./mnist -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME)
	go test ./mnist -run '^$$' -fuzz '^FuzzReadCourseJSON$$' -fuzztime $(FUZZTIME)
	go test ./mnist -run '^$$' -fuzz '^FuzzDecodeImage$$' -fuzztime $(FUZZTIME)
	go test ./cmd/digits -run '^$$' -fuzz '^FuzzParseCommandLine$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(VENV) $(BENCH_VENV)
