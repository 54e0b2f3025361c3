# Our solvers against the authors' exact pipeline (issue 21, targets 1 and 2). Not part of make test.
#   make bench-emd    synthetic d = 19 and 256 data (scripts/emddata), N = 2000, 5000 and 10⁴:
#                     POT's ot.dist + ot.emd + joint table on the pixels `otce --solver emd`
#                     sampled (scripts/pot_emd_pipeline.py --pot-child); then in headless Chromium
#                     (e2e TestBench, 2 workers) the page and the CLI interleaved, BENCH_EMD_REPEAT
#                     times each, for --solver emd and Sinkhorn at ε = 0.1 (go run ./scripts/bench -emd);
#                     rewrites BENCHMARKS.md's section "Against the authors' exact pipeline" (only it)
#   make bench-emd-native   the CLI and POT only, one run each (scripts/pot_emd_pipeline.py),
#                     a Markdown table on stdout (build/bench-emd/table.md); BENCHMARKS.md untouched
# Needs what make test needs (Chromium, Debian's python3-numpy and python3-pot; make setup).
# BENCH_EMD_N=2000,5000 for a shorter run; BENCH_EMD_FLAGS for more of scripts/bench's flags
# (-emd-solvers emd, -report-only to rewrite the section from build/bench-emd/emd-results.json,
# -emd-pot-from FILE to take POT's rows from an earlier emd-results.json on the same pixels,
# -no-browser for POT's rows alone).
BENCH_EMD_N ?= 2000,5000,10000
BENCH_EMD_REPEAT ?= 3
BENCH_EMD_WORK ?= build/bench-emd
BENCH_EMD_FLAGS ?=

.PHONY: bench-emd bench-emd-data bench-emd-native

bench-emd-data:
	$(GO) run ./scripts/emddata -d 19 $(BENCH_EMD_WORK)/d19
	$(GO) run ./scripts/emddata -d 256 $(BENCH_EMD_WORK)/d256

bench-emd: bench-emd-data
	$(GO) run ./scripts/bench -emd -emd-data $(BENCH_EMD_WORK)/d19,$(BENCH_EMD_WORK)/d256 -n $(BENCH_EMD_N) \
		-emd-repeat $(BENCH_EMD_REPEAT) -work $(BENCH_EMD_WORK) $(BENCH_EMD_FLAGS)

bench-emd-native: cli bench-emd-data
	/usr/bin/python3 scripts/pot_emd_pipeline.py --otce $(BIN) --work $(BENCH_EMD_WORK) --n $(BENCH_EMD_N) \
		--data $(BENCH_EMD_WORK)/d19 --data $(BENCH_EMD_WORK)/d256 \
		--json $(BENCH_EMD_WORK)/rows.json | tee $(BENCH_EMD_WORK)/table.md
