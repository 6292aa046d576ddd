# lstm-pipeline: `make train` trains the default model, `make test` runs the tests.
# Both install what is missing first (npm ci) and build (WebAssembly kernels + bundles).
SHELL := /bin/bash
CONFIG ?= configs/train.yaml
SWEEP_LR ?= 0.001 0.002 0.004
SWEEP_HIDDEN ?= 32 64
SWEEP_EXPERIMENT ?= sweep

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

# One run per (learning rate, hidden size); `make -j4 sweep` runs them in parallel:
# each gets its own run name, and the stage cache is safe to share.
SWEEP_RUNS := $(foreach lr,$(SWEEP_LR),$(foreach h,$(SWEEP_HIDDEN),sweep-lr$(lr)-h$(h)))
sweep: $(SWEEP_RUNS)
	./pipeline runs compare --experiment $(SWEEP_EXPERIMENT) --sort test.rmse

sweep-lr%: build
	@lr=$$(echo "$*" | cut -d- -f1); h=$$(echo "$*" | sed 's/.*-h//'); \
	./pipeline run $(CONFIG) --no-progress --experiment $(SWEEP_EXPERIMENT) --run-name "lr$$lr-h$$h-$$(date +%Y%m%d-%H%M%S)" \
	  --set train.learning_rate=$$lr --set model.hidden_size=$$h --threads 1

clean:
	rm -rf dist runs/*/ runs/.cache
