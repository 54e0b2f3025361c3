# The benchmark harness (issue 5). Included by the main Makefile; not part of make test.
#   make bench        CLI, browser (headless Chromium, 2 workers) and POT on the same pixels,
#                     N = 2000 and 10000, K = 10; writes BENCHMARKS.md (long: an hour or more)
#   make bench-quick  the same at N = 2000 only, K = 1..2 (a few minutes)
# Needs what make test needs (Chromium, Debian's python3-numpy and python3-pot).
BENCH_FLAGS ?=

.PHONY: bench bench-quick

bench:
	$(GO) run ./scripts/bench $(BENCH_FLAGS)

bench-quick:
	$(GO) run ./scripts/bench -quick $(BENCH_FLAGS)
