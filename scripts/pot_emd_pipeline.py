#!/usr/bin/python3
"""Our exact and entropic solvers against the authors' exact pipeline, on the same pixels
(make bench-emd; run with Debian's /usr/bin/python3, which has NumPy and POT).

For each data folder (scripts/emddata: src/tgt_features.npy, src/tgt_labels.npy) and each N:
  1. `otce score --solver emd` with --dump-sample (the sampled pixels, DIR/candidate/rep0/*.npy),
  2. `otce score --solver sinkhorn --eps 0.1` on the same sample (same --seed),
  3. in a child of this script, what the authors' code does on the dumped pixels:
        M = ot.dist(xs, xt)      squared Euclidean, float64, raw cost
        G = ot.emd(a, b, M)      uniform marginals, the exact plan
        P = Ys^T (G Yt)          the joint label table, one-hot products; CE = H(Y_t | Y_s)
each child timed (wall clock) and its peak resident memory read from os.wait4's rusage. The
CLI's times are its whole process (reading, sampling, cost, solve); POT's are its three steps
(perf_counter, without the interpreter's start and imports, given apart), its memory the whole
child's, imports included (about 100 MB).
Prints a Markdown table, and the rows as JSON with --json FILE.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pot_child(dump):
    """The authors' pipeline on one dumped repetition; prints one JSON object."""
    import resource
    import numpy as np
    import ot
    imports_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the interpreter and its imports
    xs = np.load(os.path.join(dump, "xs.npy")).astype(np.float64)
    xt = np.load(os.path.join(dump, "xt.npy")).astype(np.float64)
    ys = np.load(os.path.join(dump, "ys.npy"))
    yt = np.load(os.path.join(dump, "yt.npy"))
    n, m = len(xs), len(xt)
    t0 = time.perf_counter()
    M = ot.dist(xs, xt)
    t1 = time.perf_counter()
    G = ot.emd(np.full(n, 1.0 / n), np.full(m, 1.0 / m), M, numItermax=10**9)
    t2 = time.perf_counter()
    def onehot(y):
        cls, idx = np.unique(y, return_inverse=True)
        o = np.zeros((len(y), len(cls)))
        o[np.arange(len(y)), idx] = 1.0
        return o
    P = onehot(ys).T @ (G @ onehot(yt))
    P = P / P.sum()
    Pa = P.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = float(-np.where(P > 0, P * np.log(P / Pa), 0.0).sum())
    t3 = time.perf_counter()
    print(json.dumps({"ce": ce, "dist_s": t1 - t0, "emd_s": t2 - t1, "joint_s": t3 - t2,
                      "imports_mb": imports_mb, "pot": ot.__version__}))


def run(cmd):
    """Runs cmd; returns its stdout, wall seconds and peak RSS in MB (wait4's ru_maxrss, KiB)."""
    with tempfile.TemporaryFile() as errf:  # a file, so that a chatty stderr cannot block stdout
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf)
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            errf.seek(0)
            err = errf.read().decode(errors="replace").strip()
            sys.exit(f"{' '.join(cmd)}: exit status {p.returncode}: {err}")
    return out, wall, ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--otce", default="build/otce", help="the otce binary")
    ap.add_argument("--data", action="append", required=False, help="data folder (repeatable)")
    ap.add_argument("--n", default="2000,5000", help="comma-separated sample sizes N")
    ap.add_argument("--work", default="build/bench-emd", help="folder of the dumps")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument("--pot-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pot_child:
        return pot_child(args.pot_child)
    if not args.data:
        ap.error("--data is required")
    if not os.access(args.otce, os.X_OK):
        sys.exit(f"{args.otce}: no otce binary there (make cli, or --otce PATH)")
    rows = []
    for data in args.data:
        files = ["--source-features", os.path.join(data, "src_features.npy"),
                 "--source-labels", os.path.join(data, "src_labels.npy"),
                 "--target-features", os.path.join(data, "tgt_features.npy"),
                 "--target-labels", os.path.join(data, "tgt_labels.npy")]
        for n in [int(v) for v in args.n.split(",")]:
            dump = os.path.join(args.work, "dump", f"{os.path.basename(os.path.normpath(data))}-n{n}")
            common = [args.otce, "score"] + files + ["--n", str(n), "--k", "1", "--seed", args.seed,
                                                     "--metrics", "otce", "--format", "json", "--quiet"]
            out, emd_s, emd_mb = run(common + ["--solver", "emd", "--dump-sample", dump])
            emd = json.loads(out)
            out, sk_s, sk_mb = run(common + ["--solver", "sinkhorn", "--eps", "0.1"])
            sk = json.loads(out)
            out, pot_s, pot_mb = run([sys.executable, os.path.abspath(__file__), "--pot-child",
                                      os.path.join(dump, "candidate", "rep0")])
            pot = json.loads(out)
            pot["process_s"] = pot_s
            pot_s = pot["dist_s"] + pot["emd_s"] + pot["joint_s"]  # without Python's start and imports
            d = emd["diagnostics"]["dim"]
            rows.append({"data": data, "n": n, "d": d,
                         "pot_s": pot_s, "pot_mb": pot_mb, "pot_ce": pot["ce"], "pot_parts": pot,
                         "emd_s": emd_s, "emd_mb": emd_mb, "emd_ce": emd["ce"][0],
                         "sk_s": sk_s, "sk_mb": sk_mb, "sk_ce": sk["ce"][0], "sk_iter": sk["iterations"][0]})
            r = rows[-1]
            print(f"N={n} d={d}: POT {pot_s:.1f} s {pot_mb:.0f} MB; emd {emd_s:.1f} s {emd_mb:.0f} MB "
                  f"|ΔCE| {abs(r['emd_ce'] - r['pot_ce']):.1e}; sinkhorn {sk_s:.1f} s {sk_mb:.0f} MB "
                  f"|ΔCE| {abs(r['sk_ce'] - r['pot_ce']):.1e}", file=sys.stderr, flush=True)
    print("| N | d | POT dist+emd+joint: s, peak MB (dist, emd s; whole process s) "
          "| `--solver emd`: s, MB, ÷POT s, ÷POT MB, \\|ΔCE\\| "
          "| Sinkhorn ε = 0.1: s, MB, ÷POT s, \\|ΔCE\\| |")
    print("|---:|---:|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['d']} | {r['pot_s']:.2f}, {r['pot_mb']:.0f} "
              f"({r['pot_parts']['dist_s']:.2f}, {r['pot_parts']['emd_s']:.2f}; {r['pot_parts']['process_s']:.1f}) "
              f"| {r['emd_s']:.2f}, {r['emd_mb']:.0f}, {r['emd_s'] / r['pot_s']:.2f}, {r['emd_mb'] / r['pot_mb']:.2f}, "
              f"{abs(r['emd_ce'] - r['pot_ce']):.1e} "
              f"| {r['sk_s']:.2f}, {r['sk_mb']:.0f}, {r['sk_s'] / r['pot_s']:.2f}, {abs(r['sk_ce'] - r['pot_ce']):.1e} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
