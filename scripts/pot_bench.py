#!/usr/bin/python3
"""POT on exactly the pixels the CLI sampled (make bench; run with Debian's /usr/bin/python3).

Reads one repetition written by `otce score --dump-sample DIR` (DIR/<candidate>/rep<r>/{xs,ys,xt,yt}.npy),
and times, as a POT user would write it:
  M = ot.dist(xs, xt)                   squared Euclidean, float64
  M /= M.max() (or mean/median)         --cost-norm, as the CLI
  G = ot.sinkhorn(a, b, M, eps)         uniform marginals; method='sinkhorn' unless exp(-M/eps)
                                        underflows (max(M)/eps > 700), then method='sinkhorn_log'
  P = Ys^T (G Yt)                       the joint label table, one-hot matrix products
  CE = H(Y_t | Y_s)
The solve has a time cap (--time-cap seconds, SIGALRM): at the cap the solver's current
potentials are taken from its frame and the plan, CE and marginal violation are reported there.
With --emd also ot.emd on the same cost (the exact plan, the ε → 0 reference).
Prints one JSON object.
"""
import argparse
import json
import os
import signal
import sys
import time
import warnings

import numpy as np
import ot


class Capped(Exception):
    pass


def alarm(signum, frame):
    raise Capped()


def onehot(y):
    cls, idx = np.unique(y, return_inverse=True)
    m = np.zeros((len(y), len(cls)))
    m[np.arange(len(y)), idx] = 1.0
    return m


def ce_of(G, Ys, Yt):
    P = Ys.T @ (G @ Yt)
    P = P / P.sum()
    Pa = P.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(P > 0, P * np.log(P / Pa), 0.0)
    return float(-t.sum())


def marginal_l1(G, a, b):
    return float(np.abs(G.sum(1) - a).sum() + np.abs(G.sum(0) - b).sum())


def state_at_cap(tb, M, reg):
    """The plan where the capped solver stood: its potentials from its frame."""
    fr = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name in ("sinkhorn_knopp", "sinkhorn_log"):
            fr = tb.tb_frame
        tb = tb.tb_next
    if fr is None:
        return None, 0
    loc = fr.f_locals
    it = int(loc.get("ii", 0))
    u, v = loc.get("u"), loc.get("v")
    if fr.f_code.co_name == "sinkhorn_knopp":
        K = loc.get("K")
        if K is None:
            K = np.exp(-M / reg)
        return u[:, None] * K * v[None, :], it
    return np.exp(-M / reg + u[:, None] + v[None, :]), it


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--cost-norm", default="none", choices=["none", "max", "mean", "median"])
    ap.add_argument("--time-cap", type=float, default=300)
    ap.add_argument("--stop-thr", type=float, default=1e-9, help="POT's stopThr (L2 of the column marginal, every 10 iterations)")
    ap.add_argument("--max-iter", type=int, default=10**7)
    ap.add_argument("--emd", action="store_true", help="also ot.emd on the same cost")
    args = ap.parse_args()

    xs = np.load(os.path.join(args.dir, "xs.npy")).astype(np.float64)
    xt = np.load(os.path.join(args.dir, "xt.npy")).astype(np.float64)
    ys = np.load(os.path.join(args.dir, "ys.npy"))
    yt = np.load(os.path.join(args.dir, "yt.npy"))
    n, m = len(xs), len(xt)
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    out = {"n": n, "m": m, "d": xs.shape[1], "eps": args.eps, "cost_norm": args.cost_norm,
           "time_cap": args.time_cap, "pot": ot.__version__, "numpy": np.__version__}

    t0 = time.perf_counter()
    M = ot.dist(xs, xt)
    if args.cost_norm == "max":
        M /= M.max()
    elif args.cost_norm == "mean":
        M /= M.mean()
    elif args.cost_norm == "median":
        M /= np.median(M)
    out["dist_seconds"] = time.perf_counter() - t0
    method = "sinkhorn" if M.max() / args.eps <= 700 else "sinkhorn_log"
    out["method"] = method

    signal.signal(signal.SIGALRM, alarm)
    t0 = time.perf_counter()
    capped = False
    signal.setitimer(signal.ITIMER_REAL, args.time_cap)
    try:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            G, log = ot.sinkhorn(a, b, M, args.eps, method=method, numItermax=args.max_iter,
                                 stopThr=args.stop_thr, log=True)
        signal.setitimer(signal.ITIMER_REAL, 0)
        it = int(log.get("niter", 0)) + 1
        out["warnings"] = sorted({str(w.message) for w in ws})
    except Capped:
        capped = True
        G, it = state_at_cap(sys.exc_info()[2], M, args.eps)
    out["sinkhorn_seconds"] = time.perf_counter() - t0
    out["capped"] = capped
    out["iterations"] = it

    Ys, Yt = onehot(ys), onehot(yt)
    t0 = time.perf_counter()
    if G is not None and np.all(np.isfinite(G)) and G.sum() > 0:
        out["ce"] = ce_of(G, Ys, Yt)
        out["marginal_error"] = marginal_l1(G, a, b)
    out["joint_seconds"] = time.perf_counter() - t0
    out["seconds"] = out["dist_seconds"] + out["sinkhorn_seconds"] + out["joint_seconds"]
    del G

    if args.emd:
        t0 = time.perf_counter()
        Ge = ot.emd(a, b, M, numItermax=10**9)
        out["emd_seconds"] = time.perf_counter() - t0
        out["emd_ce"] = ce_of(Ge, Ys, Yt)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
