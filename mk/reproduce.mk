# The paper's experiment in miniature (issue 20). Included by the main Makefile; not part of make test
# (make test runs the smoke version: go test ./cmd/otce -run TestReproduceSmoke, skipped under -short).
#   make reproduce          train sources, transfer, export features, score, write docs/REPRODUCTION.md
#                           (≤ 60 min on 2 idle cores; cached in build/reproduce/: a rerun only rescores)
#   make reproduce-rescore  score the cached features again (after the scorer changed) and rewrite the report
#   make reproduce-smoke    1 source, 1 target, tiny budgets, in a temporary folder (about 10 s + PyTorch start)
#   make reproduce-clean    drop the cache
# Needs Debian's python3-torch, python3-pil and python3-scipy (which python3-pot brings), as scripts/setup.sh installs.
REPRO_PY ?= /usr/bin/python3
REPRO_FLAGS ?=

.PHONY: reproduce reproduce-rescore reproduce-smoke reproduce-clean

reproduce: cli
	$(REPRO_PY) scripts/reproduce/run.py --otce $(BIN) $(REPRO_FLAGS)

reproduce-rescore: cli
	$(REPRO_PY) scripts/reproduce/run.py --otce $(BIN) --rescore $(REPRO_FLAGS)

reproduce-smoke: cli
	rm -rf build/reproduce-smoke
	$(REPRO_PY) scripts/reproduce/run.py --smoke --otce $(BIN) --work build/reproduce-smoke --docs ''
	$(REPRO_PY) scripts/test_export_adapt_bn.py

reproduce-clean:
	rm -rf build/reproduce build/reproduce-smoke
