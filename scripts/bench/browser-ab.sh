#!/bin/sh
# browser-ab.sh: the browser rows of `make bench` (e2e TestBench: a fresh
# page per setting, 2 workers, timed inside the page from the files chosen
# to the scores shown) for two checkouts of the repository, interleaved
# A, B, A, B, … so that both see the same load on a shared machine.
#
#   scripts/bench/browser-ab.sh SPEC OUTDIR ROUNDS A_DIR B_DIR
#
# SPEC is TestBench's spec (e2e/bench_test.go's benchSpec; scripts/bench
# writes one as build/bench/browser-spec.json); each run writes
# OUTDIR/<a|b>-<round>.json, and the log next to it. A_DIR and B_DIR are
# the checkouts (e.g. a `git worktree add` of the reference commit).
set -eu
spec=$(realpath "$1"); out=$(realpath "$2"); rounds=$3; a=$(realpath "$4"); b=$(realpath "$5")
mkdir -p "$out"
r=1
while [ "$r" -le "$rounds" ]; do
	for side in a b; do
		dir=$a
		[ "$side" = b ] && dir=$b
		echo "round $r, $side ($dir): load $(cut -d' ' -f1-3 /proc/loadavg)"
		(cd "$dir" && OTCE_BENCH="$spec" OTCE_BENCH_OUT="$out/$side-$r.json" \
			go test -count=1 -run '^TestBench$' -v -timeout 3h ./e2e/ >"$out/$side-$r.log" 2>&1) ||
			echo "round $r, $side: failed (see $out/$side-$r.log)"
	done
	r=$((r + 1))
done
