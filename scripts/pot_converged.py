#!/usr/bin/python3
"""A converged entropic reference for the authors' setting, from POT alone.

Usage: /usr/bin/python3 scripts/pot_converged.py --dir DIR [--eps 0.1]
                                                 [--chunk 500] [--time-cap 1800]

DIR holds the sampled pixels of one repetition as the CLI dumps them
(`otce score --dump-sample`): xs.npy, xt.npy, ys.npy, yt.npy. On the raw
squared distances (cost-norm none) at eps = 0.1, plain and log-domain Sinkhorn
from zero potentials do not get near convergence in any reasonable time
(scripts/pot_bench.py stops them at a cap). This starts POT's
`ot.bregman.sinkhorn_stabilized` from the dual potentials of POT's own exact
plan (`ot.emd(..., log=True)`: the eps -> 0 limit, so the kernel starts near
the answer) and runs it in chunks, warm-started from the last chunk's
potentials, until the score stops moving: |dCE| < --ce-tol over a chunk and
the L1 marginal error below --marginal-tol, or the time cap. Nothing of ours
is used, so its CE is an independent reference for the CLI's and the page's
score at the same eps (BENCHMARKS.md, "Accuracy").

Prints one JSON object: ce, the marginal error, iterations, seconds, the CE
after each chunk, and the exact plan's CE.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import ot

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pot_bench import ce_of, marginal_l1, onehot  # noqa: E402


def lse(z, axis):
    """log Σ exp(z) along axis, without overflow."""
    m = z.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--chunk", type=int, default=500, help="iterations between two looks at the score")
    ap.add_argument("--ce-tol", type=float, default=1e-6)
    ap.add_argument("--marginal-tol", type=float, default=1e-6)
    ap.add_argument("--time-cap", type=float, default=1800)
    args = ap.parse_args()

    xs = np.load(os.path.join(args.dir, "xs.npy")).astype(np.float64)
    xt = np.load(os.path.join(args.dir, "xt.npy")).astype(np.float64)
    Ys, Yt = onehot(np.load(os.path.join(args.dir, "ys.npy"))), onehot(np.load(os.path.join(args.dir, "yt.npy")))
    n, m = len(xs), len(xt)
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    M = ot.dist(xs, xt)

    t0 = time.perf_counter()
    G, log = ot.emd(a, b, M, numItermax=10**9, log=True)
    out = {"n": n, "m": m, "d": xs.shape[1], "eps": args.eps, "pot": ot.__version__,
           "exact_ce": ce_of(G, Ys, Yt), "emd_seconds": time.perf_counter() - t0}
    alpha, beta = log["u"], log["v"]

    t0 = time.perf_counter()
    ces, it, ce, err = [], 0, None, None
    while True:
        _, log = ot.bregman.sinkhorn_stabilized(a, b, M, args.eps, numItermax=args.chunk, stopThr=0,
                                                warmstart=(alpha, beta), log=True, warn=False)
        it += args.chunk
        # POT's last iterate is off by a factor n² when the chunk ended on an
        # absorption (its scalings restart at 1/n): one more Sinkhorn
        # update, in the log domain, sets the potentials right; the rows of
        # the plan are then exact and the columns tell the convergence.
        alpha, beta = log["alpha"], log["beta"]
        beta = args.eps * (np.log(b) - lse((alpha[:, None] - M) / args.eps, 0))
        alpha = args.eps * (np.log(a) - lse((beta[None, :] - M) / args.eps, 1))
        G = np.exp((alpha[:, None] + beta[None, :] - M) / args.eps)
        prev, ce, err = ce, ce_of(G, Ys, Yt), marginal_l1(G, a, b)
        ces.append(ce)
        elapsed = time.perf_counter() - t0
        print(f"{it} iterations, {elapsed:.0f} s: CE {ce:.10f}, marginal error {err:.2e}", file=sys.stderr)
        if prev is not None and abs(ce - prev) < args.ce_tol and err < args.marginal_tol:
            out["converged"] = True
            break
        if elapsed > args.time_cap:
            out["converged"] = False
            break
    out.update({"ce": ce, "marginal_error": err, "iterations": it, "seconds": time.perf_counter() - t0,
                "ce_by_chunk": ces})
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
