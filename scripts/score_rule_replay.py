#!/usr/bin/env python3
"""Replay Sinkhorn's score stop rules on per-iteration traces.

The score rule (--score-tol) only decides when a solve stops: the iterations
are the same with or without it. So a solve run far past the rule, with its
score and marginal error recorded at every iteration, holds every shorter
solve, and a stop rule can be replayed on it exactly. The traces are written
by two env-gated Go tests:

  OTCE_TRACEDIR=DIR go test -run TestDemoTraceProbe -timeout 60m ./core/otce
      the demo's 50 repetitions, 100 000 iterations each (DIR/c<i>_r<k>.txt)
  OTCE_DUMP=DUMP/candidate/rep0 OTCE_TRACE=FILE go test -run TestScoreTraceProbe ./core/ot
      one repetition dumped by `otce score --dump-sample DUMP`, 3000 iterations

Each line is "stage iteration marginal_error CE" (CE is 0 before the final
stage); lines starting with # are comments. The last score of the final
stage is taken as the limit. For each rule and tolerance this prints the
iterations in all, the largest |CE - limit| at the stop over the tolerance,
and how many traces stopped outside the tolerance.

  /usr/bin/python3 scripts/score_rule_replay.py build/demotrace/*.txt

Rules: "aitken" is the rule before 2026-12-07 (|d2| + Aitken's geometric
rest d2*rho/(1-rho) <= tol); "power" is core/ot's scoreRest (a power law
through the three scores, its exponent capped at 1). Both share the windows
(w = max(10, k/8)), the check every 10 iterations, and the conditions
(marginal error <= 1e-3 and falling over both windows, rho >= 0).
"""
import math
import sys

WINDOW = 10
MAX_ERROR = 1e-3
TOL = 1e-6  # --tol's default: the marginal rule stops first there


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            st, it, err, ce = line.split()
            rows.append((int(st), int(it), float(err), float(ce)))
    last = max(r[0] for r in rows)
    fin = [r for r in rows if r[0] == last]
    return [r[3] for r in fin], [r[2] for r in fin], fin[0][1]


def windows(ce, errs, k):
    """The three points of the check after the k-th iteration, or None."""
    w = max(WINDOW, k // 8)
    if k <= 2 * w or k % WINDOW or errs[k - 1] > MAX_ERROR:
        return None
    a, b, c = k - 1 - 2 * w, k - 1 - w, k - 1
    if not (errs[c] < errs[b] < errs[a]):
        return None
    return a, b, c


def changes(ce, errs, k):
    """The check's windows (a, b, c), the score's change over the last one
    (d2) and its ratio to the change over the one before (rho; None when
    d2 is 0, where both rules say the rest is 0); None without a check."""
    p = windows(ce, errs, k)
    if p is None:
        return None
    a, b, c = p
    d1, d2 = ce[b] - ce[a], ce[c] - ce[b]
    return a, b, c, d2, (None if d2 == 0 else d2 / d1)


def aitken(ce, errs, k):
    p = changes(ce, errs, k)
    if p is None:
        return None
    _, _, _, d2, rho = p
    if rho is None:
        return 0.0
    if not (0 <= rho < 1):
        return None
    return abs(d2) + abs(d2) * rho / (1 - rho)


def power(ce, errs, k, cap=1.0, steps=52):
    p = changes(ce, errs, k)
    if p is None:
        return None
    a, b, c, d2, rho = p
    if rho is None:
        return 0.0
    if not rho >= 0:
        return None
    la, lc = math.log((a + 1) / (b + 1)), math.log((b + 1) / (c + 1))

    def ratio(q):
        u, v = math.exp(q * la), math.exp(q * lc)
        return u * (1 - v) / (1 - u), v

    q = cap
    if rho > ratio(q)[0]:
        if rho >= lc / la:
            return None  # slower than any power law
        lo, hi = 0.0, cap
        for _ in range(steps):
            m = (lo + hi) / 2
            if ratio(m)[0] > rho:
                lo = m
            else:
                hi = m
        if lo == 0:
            return None
        q = lo
    v = ratio(q)[1]
    return abs(d2) * v / (1 - v)


def replay(rule, traces, tol):
    total, worst, outside = 0, 0.0, 0
    for ce, errs, first in traces:
        stop = len(ce)
        for k in range(1, len(ce) + 1):
            if errs[k - 1] <= TOL:
                stop = k
                break
            rest = rule(ce, errs, k)
            if rest is not None and rest <= tol:
                stop = k
                break
        d = abs(ce[stop - 1] - ce[-1])
        total += first - 1 + stop
        worst = max(worst, d / tol)
        outside += d > tol
    return total, worst, outside


def main(paths):
    traces = [load(p) for p in paths]
    for name, rule in (("aitken", aitken), ("power", power)):
        for tol in (3e-4, 1e-4, 3e-5, 1e-5):
            total, worst, outside = replay(rule, traces, tol)
            print(f"{name:7s} tol {tol:.0e}: {total} iterations, worst |dCE|/tol {worst:.2f}, "
                  f"{outside} of {len(traces)} outside")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
