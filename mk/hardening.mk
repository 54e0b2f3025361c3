# Hardening (issue 6). Included by the main Makefile.
#   make fuzz-short   each fuzz target for FUZZTIME (default 10s): CI runs this after make test
#   make fuzz-long    each fuzz target for 10 minutes, niced (FUZZTIME=10m)
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	./core/arrays:FuzzOpenNPY \
	./core/arrays:FuzzOpenNPZ \
	./core/arrays:FuzzOpenSafetensors \
	./core/arrays:FuzzDecodePNG \
	./core/arrays:FuzzOpenNIfTI \
	./cmd/otce:FuzzManifest

.PHONY: fuzz-short fuzz-long

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

fuzz-long:
	$(MAKE) fuzz-short FUZZTIME=10m GO="nice -n 19 $(GO)"
