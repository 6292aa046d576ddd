# lstm-pipeline: `make train` trains the default model, `make test` runs the tests.
# Both install what is missing first (npm ci) and build (WebAssembly kernels + bundles).
SHELL := /bin/bash
CONFIG ?= configs/train.yaml
SWEEP ?= configs/sweep.yaml
SWEEP_FLAGS ?= --threads 1

.PHONY: all install build train test bench sweep clean typecheck
all: train

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

build: install
	node src/scripts/build.mjs

train: build
	./pipeline run $(CONFIG)

typecheck: install
	npx tsc --noEmit -p .

test: build
	npx tsc --noEmit -p .
	npx vitest run --config test/vitest.config.ts --reporter=default --reporter=json --outputFile=dist/test-results.json

bench: build
	node --experimental-wasm-relaxed-simd dist/bench.js

# `pipeline sweep` over a sweep file (trials in parallel, one engine thread each); e.g.
# `make sweep SWEEP=configs/sweep-births.yaml` or `make sweep SWEEP_FLAGS="--threads 1 --queue redis://host:6379"`.
sweep: build
	./pipeline sweep $(SWEEP) $(SWEEP_FLAGS)

clean:
	rm -rf dist runs/*/ runs/.cache
