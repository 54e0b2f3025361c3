# Our solvers against the authors' exact pipeline (issue 21, target 1), natively. Not part of make test.
#   make bench-emd    synthetic d = 19 and 256 data (scripts/emddata), N = 2000, 5000 and 10⁴:
#                     POT's ot.dist + ot.emd + joint table on the pixels `otce --solver emd`
#                     sampled, beside that and our Sinkhorn at ε = 0.1 (scripts/pot_emd_pipeline.py);
#                     prints a Markdown table (build/bench-emd/table.md) for BENCHMARKS.md
# Needs Debian's python3-numpy and python3-pot (make setup). BENCH_EMD_N=2000,5000 for a shorter run.
BENCH_EMD_N ?= 2000,5000,10000
BENCH_EMD_WORK ?= build/bench-emd

.PHONY: bench-emd

bench-emd: cli
	$(GO) run ./scripts/emddata -d 19 $(BENCH_EMD_WORK)/d19
	$(GO) run ./scripts/emddata -d 256 $(BENCH_EMD_WORK)/d256
	/usr/bin/python3 scripts/pot_emd_pipeline.py --otce $(BIN) --work $(BENCH_EMD_WORK) --n $(BENCH_EMD_N) \
		--data $(BENCH_EMD_WORK)/d19 --data $(BENCH_EMD_WORK)/d256 \
		--json $(BENCH_EMD_WORK)/rows.json | tee $(BENCH_EMD_WORK)/table.md
