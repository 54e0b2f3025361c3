#!/usr/bin/python3
"""Independent POT reference fixtures for the Go OT / OTCE solver tests.

Run with Debian's interpreter (python3-pot, python3-numpy):

    /usr/bin/python3 scripts/pot_reference.py                 # all fixtures
    /usr/bin/python3 scripts/pot_reference.py --skip-slow     # all but raw_d19_n1000
    /usr/bin/python3 scripts/pot_reference.py --only max_eps0.1
    /usr/bin/python3 scripts/pot_reference.py --readme        # only rebuild README.md

Every fixture uses deterministic synthetic "segmentation-like" pixel features:
clustered Gaussians (class centre + isotropic noise) for a source domain, and
a target domain whose centres are a rotated / shifted / rescaled copy of the
source centres, with its own class frequencies and a label map that permutes
and merges classes plus label noise, so the joint label table is non-trivial.
All features are rounded to float32 (x.astype(float32).astype(float64))
BEFORE anything is computed; the JSON stores exactly those float32 values
(shortest decimal that round-trips through float64 -> float32).

Score definition (see README.md): a = 1/n, b = 1/m, C = ot.dist(xs, xt)
(squared Euclidean) normalised by cost_norm, pi from POT, P = Ys^T pi Yt,
CE = -sum_{P(a,b)>0} P(a,b) log(P(a,b)/P(a)), OTCE = -CE, WD = <pi, C>.
"""

import argparse
import glob
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import ot
from ot.backend import NumpyBackend

HERE = os.path.dirname(os.path.abspath(__file__))
OUTDIR = os.path.normpath(os.path.join(HERE, "..", "core", "ot", "testdata"))


# --------------------------------------------------------------------------
# data generation
# --------------------------------------------------------------------------

def f32(x):
    """Round float64 array to float32-representable float64 values."""
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def random_rotation(rng, d, strength):
    """Orthogonal matrix close to the identity (QR of I + strength*G)."""
    g = np.eye(d) + strength * rng.normal(size=(d, d))
    q, r = np.linalg.qr(g)
    q = q * np.sign(np.diag(r))[None, :]  # make it continuous in strength
    return q


def class_labels(rng, n, k, alpha, min_count):
    """Imbalanced labels (Dirichlet frequencies), each class >= min_count."""
    p = rng.dirichlet(alpha * np.ones(k))
    p = 0.8 * p + 0.2 / k
    base = np.repeat(np.arange(k), min_count)
    rest = rng.choice(k, size=n - base.size, p=p)
    y = np.concatenate([base, rest])
    rng.shuffle(y)
    return y


def make_data(seed, n, m, d, ks, kt, center_scale=1.0, logit_scale=0.0,
              noise_s=0.6, noise_t=0.7, rot=0.15, shift=0.5, temp=1.0,
              label_noise=0.1, alpha=1.5, min_count=3):
    """Synthetic segmentation-like pixel features.

    Source: centre_s[k] = logit_scale*e_k + N(0, center_scale^2 I); pixels
    xs = centre_s[ys] + N(0, noise_s^2 I).
    Target: latent class z (own frequencies), centre_t = temp*(Q centre_s) +
    shift + jitter, xt = centre_t[z] + N(0, noise_t^2 I), label
    yt = label_map[z] (a surjection {0..ks-1} -> {0..kt-1}: permutation plus
    merges when kt < ks) replaced by a uniformly random class with
    probability label_noise.
    """
    assert kt <= ks
    rng = np.random.default_rng(seed)
    centers = center_scale * rng.normal(size=(ks, d))
    if logit_scale:
        assert d >= ks
        centers += logit_scale * np.eye(ks, d)
    ys = class_labels(rng, n, ks, alpha, min_count)
    xs = centers[ys] + noise_s * rng.normal(size=(n, d))

    q = random_rotation(rng, d, rot)
    sh = shift * rng.normal(size=d)
    centers_t = temp * centers @ q.T + sh + 0.2 * center_scale * rng.normal(size=(ks, d))
    z = class_labels(rng, m, ks, alpha, min_count)
    xt = centers_t[z] + noise_t * rng.normal(size=(m, d))

    label_map = np.concatenate([rng.permutation(kt), rng.integers(0, kt, size=ks - kt)])
    label_map = label_map[rng.permutation(ks)]
    yt = label_map[z]
    flip = rng.random(m) < label_noise
    yt = np.where(flip, rng.integers(0, kt, size=m), yt)
    gen = dict(seed=seed, ks=ks, kt=kt, center_scale=center_scale,
               logit_scale=logit_scale, noise_s=noise_s, noise_t=noise_t,
               rot=rot, shift=shift, temp=temp, label_noise=label_noise,
               alpha=alpha, min_count=min_count,
               label_map=[int(v) for v in label_map])
    return f32(xs), ys.astype(np.int64), f32(xt), yt.astype(np.int64), gen


DATA = {
    # (1), (4): n=300, m=240, d=16, 6 source / 5 target classes
    "A": dict(seed=1, n=300, m=240, d=16, ks=6, kt=5),
    # (2): n=250, m=320, d=32
    "B": dict(seed=2, n=250, m=320, d=32, ks=8, kt=7, noise_s=0.8, noise_t=0.9),
    # (3): n=m=200, d=8, overlapping clusters, permutation + label noise
    "C": dict(seed=3, n=200, m=200, d=8, ks=5, kt=5, noise_s=0.7, noise_t=0.8,
              label_noise=0.15),
    # (5): logit-like, n=m=1000, d=19, 19/19 classes
    "D": dict(seed=5, n=1000, m=1000, d=19, ks=19, kt=19, center_scale=1.5,
              logit_scale=12.0, noise_s=2.0, noise_t=2.2, rot=0.1, shift=1.5,
              temp=0.9, label_noise=0.1, alpha=0.7, min_count=5),
    # (6) exact-solver fixtures (independent seeds)
    "E200": dict(seed=6, n=200, m=200, d=8, ks=5, kt=5, noise_s=0.7, noise_t=0.8,
                 label_noise=0.15),
    "E300": dict(seed=7, n=300, m=240, d=16, ks=6, kt=5),
    "E1000": dict(seed=8, n=1000, m=1000, d=19, ks=19, kt=19, center_scale=1.5,
                  logit_scale=12.0, noise_s=2.0, noise_t=2.2, rot=0.1, shift=1.5,
                  temp=0.9, label_noise=0.1, alpha=0.7, min_count=5),
}


def get_data(key):
    return make_data(**DATA[key])


# --------------------------------------------------------------------------
# score
# --------------------------------------------------------------------------

def cost(xs, xt, norm):
    c = ot.dist(xs, xt)  # squared Euclidean, float64
    if norm == "none":
        scale = 1.0
    elif norm == "max":
        scale = float(c.max())
    elif norm == "mean":
        scale = float(c.mean())
    elif norm == "median":
        scale = float(np.median(c))
    else:
        raise ValueError(norm)
    stats = dict(cost_scale=scale, cost_raw_min=float(c.min()),
                 cost_raw_max=float(c.max()), cost_raw_mean=float(c.mean()),
                 cost_raw_median=float(np.median(c)))
    return (c / scale if scale != 1.0 else c), stats


def onehot(y, labels):
    return (y[:, None] == np.asarray(labels)[None, :]).astype(np.float64)


def score(pi, C, ys, yt, a, b):
    ls = np.unique(ys)
    lt = np.unique(yt)
    P = onehot(ys, ls).T @ pi @ onehot(yt, lt)
    Pa = P.sum(axis=1)
    ce = 0.0
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            if P[i, j] > 0:
                ce -= P[i, j] * math.log(P[i, j] / Pa[i])
    wd = float(np.sum(pi * C))
    merr = float(np.abs(pi.sum(axis=1) - a).sum() + np.abs(pi.sum(axis=0) - b).sum())
    return dict(ce=float(ce), wd=wd, otce=float(-ce), marginal_error=merr,
                joint_source_labels=[int(v) for v in ls],
                joint_target_labels=[int(v) for v in lt],
                joint=[[float(v) for v in row] for row in P])


def uniform(n):
    return np.full(n, 1.0 / n)


def run_sinkhorn_pot(a, b, C, eps, stop_thr, num_itermax):
    """POT's own ot.sinkhorn(method='sinkhorn_log'). Returns pi, info."""
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pi, log = ot.sinkhorn(a, b, C, reg=eps, method="sinkhorn_log",
                              numItermax=num_itermax, stopThr=stop_thr, log=True)
    sec = time.time() - t0
    its = int(log["niter"]) + 1
    errs = log["err"]
    last = float(errs[-1]) if len(errs) else float("nan")
    info = dict(iterations=its, seconds=sec, stop_thr=stop_thr,
                num_itermax=num_itermax, pot_last_err=last,
                converged=bool(last < stop_thr))
    return pi, info


def run_emd(a, b, C):
    t0 = time.time()
    pi, log = ot.emd(a, b, C, numItermax=10 ** 7, log=True)
    sec = time.time() - t0
    return pi, log, sec


class ReplicaSinkhornLog:
    """Line-by-line replica of POT 0.8.2 ot.bregman.sinkhorn_log (1-D b),
    using POT's own NumpyBackend ops in the same order, but resumable in
    chunks so that intermediate CE values and a wall-clock budget can be
    handled.  POT 0.8.2's sinkhorn_log has no warmstart argument.  The
    replica is checked to be bitwise identical to ot.sinkhorn(...,
    method='sinkhorn_log') before use (self_check)."""

    def __init__(self, a, b, M, reg):
        self.nx = nx = NumpyBackend()
        self.a, self.b = a, b
        self.Mr = -M / reg
        self.u = nx.zeros(len(a), type_as=M)
        self.v = nx.zeros(b.shape[0], type_as=M)
        self.loga = nx.log(a)
        self.logb = nx.log(b)
        self.ii = -1          # index of last completed iteration
        self.err = 1
        self.errs = []
        self.stopped = False

    def plan(self):
        return self.nx.exp(self.Mr + self.u[:, None] + self.v[None, :])

    def step(self, count, stop_thr):
        nx = self.nx
        Mr = self.Mr
        for _ in range(count):
            ii = self.ii + 1
            self.v = self.logb - nx.logsumexp(Mr + self.u[:, None], 0)
            self.u = self.loga - nx.logsumexp(Mr + self.v[None, :], 1)
            self.ii = ii
            if ii % 10 == 0:
                tmp2 = nx.sum(nx.exp(Mr + self.u[:, None] + self.v[None, :]), 0)
                self.err = nx.norm(tmp2 - self.b)
                self.errs.append(float(self.err))
                if self.err < stop_thr:
                    self.stopped = True
                    return True
        return False


def self_check_replica(a, b, C, eps, iters=123):
    rep = ReplicaSinkhornLog(a, b, C, eps)
    rep.step(iters, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pi = ot.sinkhorn(a, b, C, reg=eps, method="sinkhorn_log",
                         numItermax=iters, stopThr=0.0)
    ok = bool(np.array_equal(pi, rep.plan()))
    if not ok:
        raise SystemExit("replica of POT sinkhorn_log is NOT bitwise identical")
    return ok


# --------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------

def fmt32(x):
    """Shortest decimal of a float32 value that survives both
    float32(parse64(s)) and parse32(s); falls back to float64 repr."""
    f = np.float32(x)
    assert float(f) == float(x), "value is not float32-representable"
    s = repr(f)
    if s.startswith("np."):
        s = str(f)
    if np.float32(float(s)) != f or not np.isfinite(float(s)):
        s = repr(float(f))
    return s


def write_fixture(fname, meta, xs, ys, xt, yt):
    """Write JSON with compact float32 feature arrays (one row per line)."""
    d = dict(meta)
    keys = list(d.keys())
    parts = []
    for k in keys:
        if k in ("xs", "xt"):
            continue
        parts.append("  %s: %s" % (json.dumps(k), json.dumps(d[k])))

    def mat(x):
        return "[\n" + ",\n".join("    [" + ",".join(fmt32(v) for v in row) + "]"
                                  for row in x) + "\n  ]"
    # fixed order: scalars first, then arrays
    body = []
    order = ["name", "method", "eps", "cost_norm", "n", "m", "d"]
    rest = [k for k in keys if k not in order]
    for k in order + rest:
        if k == "xs":
            body.append('  "xs": ' + mat(xs))
        elif k == "xt":
            body.append('  "xt": ' + mat(xt))
        elif k in ("ys", "yt"):
            body.append('  "%s": %s' % (k, json.dumps([int(v) for v in d[k]])))
        else:
            body.append("  %s: %s" % (json.dumps(k), json.dumps(d[k])))
    text = "{\n" + ",\n".join(body) + "\n}\n"
    path = os.path.join(OUTDIR, fname)
    with open(path, "w") as fh:
        fh.write(text)
    # verify round trip
    back = json.load(open(path))
    for key, arr in (("xs", xs), ("xt", xt)):
        got = np.asarray(back[key], dtype=np.float64).astype(np.float32).astype(np.float64)
        assert np.array_equal(got, arr), key
    assert back["ys"] == [int(v) for v in ys] and back["yt"] == [int(v) for v in yt]
    print("wrote %s (%.0f kB)" % (path, os.path.getsize(path) / 1024.0), flush=True)


def base_meta(name, method, eps, norm, xs, ys, xt, yt, gen, cstats):
    return dict(name=name, method=method, eps=eps, cost_norm=norm,
                n=int(xs.shape[0]), m=int(xt.shape[0]), d=int(xs.shape[1]),
                xs=None, ys=[int(v) for v in ys], xt=None, yt=[int(v) for v in yt],
                pot_version=ot.__version__, numpy_version=np.__version__,
                generator=gen, **cstats)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

def fx_sinkhorn(name, fname, key, norm, eps, stop_thr=1e-10, num_itermax=10 ** 6):
    def run(args):
        xs, ys, xt, yt, gen = get_data(key)
        n, m = len(ys), len(yt)
        a, b = uniform(n), uniform(m)
        C, cstats = cost(xs, xt, norm)
        pi, info = run_sinkhorn_pot(a, b, C, eps, stop_thr, num_itermax)
        sc = score(pi, C, ys, yt, a, b)
        meta = base_meta(name, "sinkhorn_log", eps, norm, xs, ys, xt, yt, gen, cstats)
        meta.update(ce=sc["ce"], wd=sc["wd"], otce=sc["otce"],
                    marginal_error=sc["marginal_error"],
                    iterations=info["iterations"], seconds=info["seconds"],
                    stop_thr=stop_thr, num_itermax=num_itermax,
                    pot_last_err_l2_col=info["pot_last_err"],
                    converged=info["converged"],
                    joint_source_labels=sc["joint_source_labels"],
                    joint_target_labels=sc["joint_target_labels"],
                    joint=sc["joint"])
        write_fixture(fname, meta, xs, ys, xt, yt)
    return run


def fx_emd_max(args):
    """(4): same data as max_eps0.1, cost_norm max; emd + sinkhorn_log 1e-3."""
    xs, ys, xt, yt, gen = get_data("A")
    n, m = len(ys), len(yt)
    a, b = uniform(n), uniform(m)
    C, cstats = cost(xs, xt, "max")
    pi, log, sec = run_emd(a, b, C)
    sc = score(pi, C, ys, yt, a, b)
    meta = base_meta("max_eps1e-3_emd", "emd", 1e-3, "max", xs, ys, xt, yt, gen, cstats)
    meta.update(ce=sc["ce"], wd=sc["wd"], otce=sc["otce"],
                marginal_error=sc["marginal_error"], seconds=sec,
                emd_cost=float(log["cost"]), emd_result_code=int(log["result_code"]),
                emd_warning=log["warning"],
                joint_source_labels=sc["joint_source_labels"],
                joint_target_labels=sc["joint_target_labels"],
                joint=sc["joint"],
                same_data_as="max_eps0.1.json")
    # entropic counterpart at eps=1e-3 (POT's own sinkhorn_log)
    stop_thr, itmax = 1e-10, 300000
    spi, info = run_sinkhorn_pot(a, b, C, 1e-3, stop_thr, itmax)
    ssc = score(spi, C, ys, yt, a, b)
    meta.update(sinkhorn_eps=1e-3, sinkhorn_ce=ssc["ce"], sinkhorn_wd=ssc["wd"],
                sinkhorn_otce=ssc["otce"],
                sinkhorn_marginal_error=ssc["marginal_error"],
                sinkhorn_iterations=info["iterations"],
                sinkhorn_seconds=info["seconds"], sinkhorn_stop_thr=stop_thr,
                sinkhorn_num_itermax=itmax,
                sinkhorn_pot_last_err_l2_col=info["pot_last_err"],
                sinkhorn_converged=info["converged"],
                sinkhorn_joint=ssc["joint"])
    write_fixture("emd_max_n300.json", meta, xs, ys, xt, yt)


def fx_emd_plain(name, fname, key):
    def run(args):
        xs, ys, xt, yt, gen = get_data(key)
        n, m = len(ys), len(yt)
        a, b = uniform(n), uniform(m)
        C, cstats = cost(xs, xt, "none")
        pi, log, sec = run_emd(a, b, C)
        sc = score(pi, C, ys, yt, a, b)
        u, v = log["u"], log["v"]
        viol = float(np.max(u[:, None] + v[None, :] - C))
        dual_obj = float(np.dot(a, u) + np.dot(b, v))
        support = np.argwhere(pi > 0)
        cs_gap = float(np.max(np.abs(C[support[:, 0], support[:, 1]]
                                     - u[support[:, 0]] - v[support[:, 1]])))
        meta = base_meta(name, "emd", 0.0, "none", xs, ys, xt, yt, gen, cstats)
        meta.update(ce=sc["ce"], wd=sc["wd"], otce=sc["otce"],
                    marginal_error=sc["marginal_error"], seconds=sec,
                    emd_cost=float(log["cost"]), emd_result_code=int(log["result_code"]),
                    emd_warning=log["warning"],
                    plan_support_size=int(support.shape[0]),
                    dual_centered=True, dual_objective=dual_obj,
                    dual_max_violation=viol, complementary_slackness_max_gap=cs_gap,
                    u=[float(x) for x in u], v=[float(x) for x in v],
                    joint_source_labels=sc["joint_source_labels"],
                    joint_target_labels=sc["joint_target_labels"],
                    joint=sc["joint"])
        write_fixture(fname, meta, xs, ys, xt, yt)
    return run


def fx_raw_d19(args):
    """(5): raw logit-like cost, eps=0.1, n=m=1000, d=19 — slow."""
    xs, ys, xt, yt, gen = get_data("D")
    n, m = len(ys), len(yt)
    a, b = uniform(n), uniform(m)
    C, cstats = cost(xs, xt, "none")
    eps = 0.1
    print("raw_d19: C median %.1f max %.1f" % (cstats["cost_raw_median"],
                                                cstats["cost_raw_max"]), flush=True)
    # exact plan
    epi, elog, esec = run_emd(a, b, C)
    esc = score(epi, C, ys, yt, a, b)
    print("raw_d19: emd ce=%.12g wd=%.12g (%.1fs)" % (esc["ce"], esc["wd"], esec), flush=True)
    # Sinkhorn (bitwise replica of POT's loop, in chunks of 1000 iterations)
    self_check_replica(a, b, C, eps)
    stop_thr, itmax, chunk = 1e-9, args.slow_itermax, 1000
    budget = args.slow_budget
    rep = ReplicaSinkhornLog(a, b, C, eps)
    trace = []
    t0 = time.time()
    stopped_by = "numItermax"
    while rep.ii + 1 < itmax:
        done = rep.step(min(chunk, itmax - rep.ii - 1), stop_thr)
        pi = rep.plan()
        sc = score(pi, C, ys, yt, a, b)
        el = time.time() - t0
        trace.append(dict(iterations=rep.ii + 1, ce=sc["ce"], wd=sc["wd"],
                          marginal_error=sc["marginal_error"],
                          pot_err_l2_col=float(rep.err), seconds=el))
        print("raw_d19: it %6d ce %.12f wd %.10f L1err %.3e l2col %.3e %.0fs" %
              (rep.ii + 1, sc["ce"], sc["wd"], sc["marginal_error"], rep.err, el),
              flush=True)
        if done:
            stopped_by = "stopThr"
            break
        if el > budget:
            stopped_by = "time_budget"
            break
    sec = time.time() - t0
    pi = rep.plan()
    sc = score(pi, C, ys, yt, a, b)
    meta = base_meta("raw_d19_n1000", "sinkhorn_log", eps, "none", xs, ys, xt, yt,
                     gen, cstats)
    meta.update(ce=sc["ce"], wd=sc["wd"], otce=sc["otce"],
                marginal_error=sc["marginal_error"], iterations=rep.ii + 1,
                seconds=sec, stop_thr=stop_thr, num_itermax=itmax,
                time_budget_seconds=budget, stopped_by=stopped_by,
                converged=stopped_by == "stopThr",
                pot_last_err_l2_col=float(rep.err),
                solver_note=("POT 0.8.2 sinkhorn_log has no warmstart; the loop is a "
                             "bitwise-verified replica of ot.bregman.sinkhorn_log "
                             "(POT NumpyBackend ops, same order, err=||pi^T 1-b||_2 "
                             "checked every 10 its) run in chunks of 1000 iterations; "
                             "its result equals ot.sinkhorn(..., method='sinkhorn_log', "
                             "numItermax=iterations, stopThr=stop_thr)."),
                replica_bitwise_check=True,
                emd_ce=esc["ce"], emd_wd=esc["wd"], emd_otce=esc["otce"],
                emd_marginal_error=esc["marginal_error"], emd_seconds=esec,
                emd_joint=esc["joint"],
                ce_trace=trace,
                joint_source_labels=sc["joint_source_labels"],
                joint_target_labels=sc["joint_target_labels"],
                joint=sc["joint"])
    write_fixture("raw_d19_n1000.json", meta, xs, ys, xt, yt)


FIXTURES = [
    ("max_eps0.1", fx_sinkhorn("max_eps0.1", "max_eps0.1.json", "A", "max", 0.1), False),
    ("mean_eps0.05", fx_sinkhorn("mean_eps0.05", "mean_eps0.05.json", "B", "mean", 0.05), False),
    ("median_eps0.05", fx_sinkhorn("median_eps0.05", "median_eps0.05.json", "C", "median", 0.05), False),
    ("max_eps1e-3_emd", fx_emd_max, False),
    ("emd_n200_d8", fx_emd_plain("emd_n200_d8", "emd_n200_d8.json", "E200"), False),
    ("emd_n300_m240", fx_emd_plain("emd_n300_m240", "emd_n300_m240.json", "E300"), False),
    ("emd_n1000_d19", fx_emd_plain("emd_n1000_d19", "emd_n1000_d19.json", "E1000"), False),
    ("raw_d19_n1000", fx_raw_d19, True),
]


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

def g(x, fmt="%.10g"):
    if x is None:
        return "-"
    if isinstance(x, float):
        return fmt % x
    return str(x)


def write_readme():
    rows = []
    for path in sorted(glob.glob(os.path.join(OUTDIR, "*.json"))):
        f = json.load(open(path))
        rows.append((os.path.basename(path), f))
    lines = [
        "# POT reference fixtures for the OT solver tests",
        "",
        "Generated by `/usr/bin/python3 scripts/pot_reference.py` (all fixtures;",
        "`--only NAME` regenerates one, `--skip-slow` skips `raw_d19_n1000`,",
        "`--readme` rebuilds this file from the JSON files). POT %s, numpy %s."
        % (ot.__version__, np.__version__),
        "",
        "Definition: a = 1/n, b = 1/m; C = ot.dist(xs, xt) (squared Euclidean, float64)",
        "divided by `cost_scale` (max / mean / median of C, 1 for `none`); pi from",
        "POT (`ot.sinkhorn(a, b, C, reg=eps, method='sinkhorn_log')` or",
        "`ot.emd(a, b, C, numItermax=1e7)`); joint P = Ys^T pi Yt over the sorted",
        "label sets `joint_source_labels` x `joint_target_labels`; CE = H(Yt|Ys) =",
        "-sum_{P>0} P(a,b) log(P(a,b)/P(a)) (natural log); OTCE = -CE; WD = <pi, C>",
        "(normalised units). `marginal_error` = |pi 1 - a|_1 + |pi^T 1 - b|_1.",
        "`pot_last_err_l2_col` is POT's own stopping quantity ||pi^T 1 - b||_2.",
        "",
        "Features are float32 values (stored as the shortest decimal that gives the",
        "same float32 after parsing as float64 and converting to float32); all",
        "reference numbers were computed from exactly those float32 values in float64.",
        "",
        "| file | method | n | m | d | eps | cost_norm | CE | WD | iterations | marginal L1 err | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fn, f in rows:
        lines.append("| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            fn, f["method"], f["n"], f["m"], f["d"], g(f["eps"]), f["cost_norm"],
            g(f["ce"]), g(f["wd"]), g(f.get("iterations")),
            g(f["marginal_error"], "%.2e"), g(f.get("seconds"), "%.2f")))
    lines.append("")
    for fn, f in rows:
        if "sinkhorn_ce" in f:
            lines.append("- `%s` (same data as `%s`): also POT sinkhorn_log at eps=%g: "
                         "CE %s, WD %s, %d iterations, marginal L1 err %.2e, %.1f s, "
                         "converged=%s. |CE_sinkhorn - CE_emd| = %.3g." % (
                             fn, f.get("same_data_as"), f["sinkhorn_eps"],
                             g(f["sinkhorn_ce"]), g(f["sinkhorn_wd"]),
                             f["sinkhorn_iterations"], f["sinkhorn_marginal_error"],
                             f["sinkhorn_seconds"], f["sinkhorn_converged"],
                             abs(f["sinkhorn_ce"] - f["ce"])))
        if "emd_ce" in f:
            lines.append("- `%s`: C raw median %.1f, max %.1f. stopped_by=%s "
                         "(stopThr %g on POT's l2 column error, budget %gs). "
                         "ot.emd on the same data: CE %s, WD %s. `ce_trace` holds "
                         "CE/WD/errors every 1000 iterations. %s" % (
                             fn, f["cost_raw_median"], f["cost_raw_max"],
                             f["stopped_by"], f["stop_thr"],
                             f["time_budget_seconds"], g(f["emd_ce"]),
                             g(f["emd_wd"]), f["solver_note"]))
        if "u" in f:
            lines.append("- `%s`: exact plan, dual potentials `u`, `v` from "
                         "`ot.emd(..., log=True)` (center_dual=True); "
                         "dual objective %s, max(u_i+v_j-C_ij) = %.2e, "
                         "complementary slackness gap %.2e, plan support %d." % (
                             fn, g(f["dual_objective"], "%.15g"),
                             f["dual_max_violation"],
                             f["complementary_slackness_max_gap"],
                             f["plan_support_size"]))
    lines += [
        "",
        "Notes: `eps` is 0 (not applicable) in the plain emd fixtures; in",
        "`emd_max_n300.json` `eps`=0.001 is the Sinkhorn eps the Go test should use",
        "(expect |CE - emd CE| < 1e-2). `iterations` is absent for emd (POT does not",
        "report it). `seconds` are wall-clock times on a 2-core machine shared with",
        "other jobs (load average up to ~9 during raw_d19_n1000), so they are only",
        "indicative. Everything except `seconds`/`*_seconds` is deterministic.",
        "",
        "Other fields: `generator` (data-generator parameters, incl. seed),",
        "`cost_scale`, `cost_raw_{min,max,mean,median}`, `stop_thr`, `num_itermax`,",
        "`converged`, `pot_version`, `numpy_version`.",
        "",
    ]
    with open(os.path.join(OUTDIR, "README.md"), "w") as fh:
        fh.write("\n".join(lines))
    print("wrote README.md", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", default=[],
                    help="fixture name (repeatable): " + ", ".join(n for n, _, _ in FIXTURES))
    ap.add_argument("--skip-slow", action="store_true", help="skip raw_d19_n1000")
    ap.add_argument("--readme", action="store_true", help="only rebuild README.md")
    ap.add_argument("--slow-budget", type=float, default=1500.0,
                    help="wall-clock budget (s) for raw_d19_n1000 Sinkhorn")
    ap.add_argument("--slow-itermax", type=int, default=100000)
    args = ap.parse_args()
    os.makedirs(OUTDIR, exist_ok=True)
    if not args.readme:
        names = [n for n, _, _ in FIXTURES]
        for o in args.only:
            if o not in names:
                sys.exit("unknown fixture %r; choose from %s" % (o, names))
        for name, fn, slow in FIXTURES:
            if args.only and name not in args.only:
                continue
            if slow and args.skip_slow and not args.only:
                continue
            print("== %s" % name, flush=True)
            fn(args)
    write_readme()


if __name__ == "__main__":
    main()
