#!/usr/bin/env python3
"""Logits of a trained network on its own domain and a shifted one, for the
solver benchmarks on features of trained networks (BENCHMARKS.md, issue 21
item 5).

Trains the reproduction's source S01 (family A, run.py's full budget: 192
images, 400 Adam steps; about 20 s on one CPU core, cached) and exports its
logits (scripts/export_features.py --layer head --hook output, d = 7 on the
16x32 grid) on 48 images of its own domain and 48 of the target T3, into
WORK/S01_src.npz and WORK/S01_tgt.npz (24 576 pixels each). Then, e.g.:

  /usr/bin/python3 scripts/reproduce/trained_logits.py --work build/trained
  build/otce score --source-features build/trained/S01_src.npz \\
      --target-features build/trained/S01_tgt.npz --n 10000 --k 1 \\
      --metrics otce --seed 1 --dump-sample build/dump
  OTCE_DUMP=$PWD/build/dump/candidate/rep0 \\
      go test -run '^$' -bench Dumped -benchtime 1x ./core/ot
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "trained"), help="output and cache folder")
    ap.add_argument("--images", type=int, default=48, help="images per domain")
    args = ap.parse_args(argv)

    import run as R
    import torch
    import export_features as EF

    torch.set_num_threads(1)
    cfg = dict(R.FULL)
    src, tg, fam = R.build_domains(cfg)
    src = {"S01": src["S01"]}
    R.train_sources(torch, cfg, args.work, src, fam)
    model = ["--model-file", os.path.join(HERE, "models.py"), "--factory", "build_a",
             "--checkpoint", os.path.join(args.work, "models", "S01.pt"), "--device", "cpu", "--quiet",
             "--batch-size", "8", "--layer", "head", "--hook", "output"]
    xi, yi = R.domain_split(args.work, src["S01"], "feat", args.images, 4)
    si, sl = R.png_folder(args.work, src["S01"], "feat", xi, yi)
    xt, yt = R.domain_split(args.work, tg["T3"], "train", args.images, 2)
    ti, tl = R.png_folder(args.work, tg["T3"], "train", xt, yt)
    for out, data in ((os.path.join(args.work, "S01_src.npz"), ["--images", si, "--labels", sl]),
                      (os.path.join(args.work, "S01_tgt.npz"), ["--images", ti, "--labels", tl])):
        if not os.path.exists(out):
            rc = EF.main(model + data + ["--out", out])
            if rc != 0:
                raise SystemExit(f"export_features.py: exit status {rc}")
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
