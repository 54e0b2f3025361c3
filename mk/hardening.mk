# Hardening (issue 6). Included by the main Makefile.
#   make fuzz-short   each fuzz target for FUZZTIME executions (default 200000x, 8 to 15 s
#                     a target on this 2-core machine): CI runs this after make test
#   make fuzz-long    each fuzz target for 10⁷ executions (about 10 minutes), niced
# The budgets count executions, not seconds: with a duration (-fuzztime 10s) Go 1.26's
# coordinator can fail a target with a bare "context deadline exceeded" when the
# deadline fires while a worker is mid-call (golang/go#75804, fixed in Go 1.27); a
# count sets no deadline. A real finding still fails the run and writes its input
# under testdata/fuzz/.
FUZZTIME ?= 200000x
# The test binary's own alarm, should a run stop making progress.
FUZZTIMEOUT ?= 10m
FUZZ_TARGETS := \
	./core/arrays:FuzzOpenNPY \
	./core/arrays:FuzzOpenNPZ \
	./core/arrays:FuzzOpenSafetensors \
	./core/arrays:FuzzDecodePNG \
	./core/arrays:FuzzOpenNIfTI \
	./core/dataset:FuzzPair \
	./cmd/otce:FuzzManifest

.PHONY: fuzz-short fuzz-long

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -timeout $(FUZZTIMEOUT) $$pkg; \
	done

fuzz-long:
	$(MAKE) fuzz-short FUZZTIME=10000000x FUZZTIMEOUT=3h GO="nice -n 19 $(GO)"
