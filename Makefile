# otceseg — see README.md.
GO ?= go
BIN := build/otce

.PHONY: all build cli demo test test-core test-simd setup bench-go fixtures vet clean

all: cli

## build: the CLI and the static site (www/)
build: cli web

cli:
	$(GO) build -o $(BIN) ./cmd/otce

## demo: build the CLI and score the built-in demo dataset (the README's first command)
demo: cli
	./$(BIN) demo

## setup: install what the tests need (Debian packages, Go modules)
setup:
	bash scripts/setup.sh

## test: set up, then run every test (Go unit tests, CLI tests, browser end-to-end)
test: setup
	$(GO) vet ./core/... ./cmd/...
	GOOS=js GOARCH=wasm $(GO) build -o /dev/null ./core/...
	$(MAKE) --no-print-directory test-simd
	$(GO) test -count=1 -timeout 40m ./...

## test-simd: the browser's SIMD kernels (wasm/simd) against the pure-Go ones, and the worker's own tests, in Node
test-simd:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$(CURDIR)/wasm/simd/testdata/go_js_wasm_exec" ./wasm/simd/ ./wasm/worker/

## test-core: the native tests only (no browser)
test-core:
	$(GO) test -count=1 -short ./core/... ./cmd/...

## bench-go: go benchmarks of one repetition (make bench, in mk/bench.mk, is the full harness)
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./core/ot/ ./core/emd/

## fixtures: regenerate the reference fixtures with NumPy and POT (slow: minutes)
fixtures:
	/usr/bin/python3 scripts/make_array_fixtures.py
	/usr/bin/python3 scripts/make_volume_fixtures.py
	/usr/bin/python3 scripts/maps_reference.py
	/usr/bin/python3 scripts/pot_reference.py

clean:
	rm -rf build

-include mk/*.mk
