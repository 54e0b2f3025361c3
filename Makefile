# otceseg — see README.md.
GO ?= go
BIN := build/otce

# staticcheck from the Go module proxy, pinned: 2026.2.2 (v0.8.2, the newest
# `go list -m -versions honnef.co/go/tools` lists) type-checks Go 1.26.
# Installed into build/tools on first use, outside the product's go.mod.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := build/tools/staticcheck-$(STATICCHECK_VERSION)

.PHONY: all build cli demo test test-core test-simd setup bench-go fixtures check clean

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

## test: set up, check, then run every test (Go unit tests, CLI tests, browser end-to-end)
test: setup check
	GOOS=js GOARCH=wasm $(GO) build -o /dev/null ./core/...
	$(MAKE) --no-print-directory test-simd
	$(GO) test -count=1 -timeout 60m ./... ./e2e/

## check: the hygiene CI holds the code to: gofmt, go mod tidy, go vet (natively and
## for js/wasm) and staticcheck, over the product module and the e2e module alike
check: $(STATICCHECK)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l lists:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	cd e2e && $(GO) mod tidy -diff
	$(GO) vet ./... ./e2e/
	GOOS=js GOARCH=wasm $(GO) vet ./...
	$(STATICCHECK) ./... ./e2e/
	GOOS=js GOARCH=wasm $(STATICCHECK) ./...

$(STATICCHECK):
	@mkdir -p build/tools
	GOBIN=$(CURDIR)/build/tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv build/tools/staticcheck $@

## test-simd: the browser's SIMD kernels (wasm/simd) against the pure-Go ones, and the worker's own tests, in Node
test-simd:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$(CURDIR)/wasm/simd/testdata/go_js_wasm_exec" ./wasm/simd/ ./wasm/worker/ ./wasm/internal/proto/ ./wasm/internal/blobfile/

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
	/usr/bin/python3 scripts/metrics_reference.py
	/usr/bin/python3 scripts/maps_reference.py
	/usr/bin/python3 scripts/pot_reference.py

clean:
	rm -rf build

-include mk/*.mk
