#!/usr/bin/env python3
"""The paper's experiment in miniature: does the score track transfer?

Protocol (Tan et al., OTCE for semantic segmentation, in small):
  1. domains     procedural road scenes (domains.py): sources and targets
  2. sources     one small segmentation network per source domain (models.py,
                 families A and B), trained on it
  3. transfer    each source to each target with a small labelled target
                 training set and a fixed budget: (a) frozen backbone + new
                 1x1 head, (b) full fine-tuning; mIoU on a held-out target
                 test set, averaged over seeds; and the zero-shot mIoU of
                 the source model itself (the label spaces agree)
  4. features    scripts/export_features.py (the user's path, called with the
                 user's flags: --model-file models.py --factory build_a
                 --checkpoint ...): embeddings (the classifier's input) and
                 logits (--layer head --hook output), of the source export
                 set and of the target training set, and the target's again
                 with --adapt-bn
  5. scores      `otce rank --manifest` per target and variant
  6. report      docs/REPRODUCTION.md and its figures (report.py)

Everything is cached under --work (default build/reproduce): a rerun only
redoes what is missing, so after the scorer changes it only rescores
(--rescore drops the cached scores first).

  /usr/bin/python3 scripts/reproduce/run.py            # the full run
  /usr/bin/python3 scripts/reproduce/run.py --smoke --work /tmp/x --docs ''
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import domains as D  # noqa: E402

# ---------------------------------------------------------------- the plan

FULL = dict(
    # name, seed, shift, around (a target's name or None), family
    targets=[("T1", 101, 0.55, None), ("T2", 102, 0.75, None), ("T3", 103, 0.95, None)],
    sources=[
        ("S01", 1, 0.15, None, "A"), ("S02", 2, 0.35, None, "A"), ("S03", 3, 0.6, None, "A"),
        ("S04", 4, 0.85, None, "A"), ("S05", 5, 1.1, None, "A"),
        ("S06", 6, 0.3, "T1", "A"), ("S07", 7, 0.3, "T2", "A"), ("S08", 8, 0.3, "T3", "A"),
        ("S09", 9, 0.25, None, "B"), ("S10", 10, 0.7, None, "B"), ("S11", 11, 0.35, "T2", "B"),
    ],
    n_src_train=192, n_src_feat=24, n_tgt_train=24, n_tgt_test=96,
    src_steps=400, src_batch=16, src_lr=3e-3,
    head_steps=200, head_lr=1e-2,
    ft_steps=60, ft_batch=8, ft_lr=2e-3,
    seeds=[0, 1],
    otce_n=1000, otce_k=1, emd_n=1000, emd_k=1,
)

SMOKE = dict(
    targets=[("T1", 101, 0.55, None)],
    sources=[("S01", 1, 0.15, None, "A")],
    n_src_train=16, n_src_feat=4, n_tgt_train=4, n_tgt_test=4,
    src_steps=10, src_batch=4, src_lr=3e-3,
    head_steps=10, head_lr=1e-2,
    ft_steps=5, ft_batch=4, ft_lr=2e-3,
    seeds=[0],
    otce_n=500, otce_k=2, emd_n=300, emd_k=1,
)

H, W = 64, 128


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def jload(path):
    with open(path) as f:
        return json.load(f)


def jsave(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def build_domains(cfg):
    tg = {n: D.Domain(n, s, sh) for n, s, sh, _ in cfg["targets"]}
    src = {}
    for n, s, sh, around, fam in cfg["sources"]:
        src[n] = D.Domain(n, s, sh, around=tg.get(around))
    fam = {n: f for n, _, _, _, f in cfg["sources"]}
    return src, tg, fam


# ---------------------------------------------------------------- data

def quantise(x):
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def domain_split(work, dom, split, n, seed):
    """Cached (n, H, W, 3) uint8 images and (n, H, W) uint8 labels."""
    path = os.path.join(work, "data", f"{dom.name}_{split}.npz")
    if not os.path.exists(path):
        x, y = D.dataset(dom, n, seed, H, W)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez_compressed(path, images=quantise(x), labels=y)
    z = np.load(path)
    return z["images"], z["labels"]


def png_folder(work, dom, split, imgs, labs):
    """The split as image/label PNG folders, what export_features.py reads."""
    from PIL import Image
    d = os.path.join(work, "png", f"{dom.name}_{split}")
    done = os.path.join(d, ".done")
    if not os.path.exists(done):
        for sub in ("images", "labels"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for i, (x, y) in enumerate(zip(imgs, labs)):
            Image.fromarray(x).save(os.path.join(d, "images", f"{dom.name}_{i:04d}_leftImg8bit.png"))
            Image.fromarray(y).save(os.path.join(d, "labels", f"{dom.name}_{i:04d}_gtFine_labelTrainIds.png"))
        open(done, "w").close()
    return os.path.join(d, "images"), os.path.join(d, "labels")


# ---------------------------------------------------------------- torch

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def to_tensor(torch, imgs):
    """uint8 (n, H, W, 3) → normalised float (n, 3, H, W), as the exporter does."""
    x = (imgs.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


def confusion(pred, gt, k=D.K):
    return np.bincount(gt.ravel().astype(np.int64) * k + pred.ravel(), minlength=k * k).reshape(k, k)


def miou(conf):
    """Mean IoU over the classes present in the ground truth or the prediction."""
    tp = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - tp
    ok = conf.sum(1) > 0
    return float(np.mean(tp[ok] / np.maximum(union[ok], 1))) * 100


def evaluate(torch, model, imgs, labs, batch=32):
    model.eval()
    conf = np.zeros((D.K, D.K), np.int64)
    with torch.no_grad():
        for i in range(0, len(imgs), batch):
            p = model(to_tensor(torch, imgs[i:i + batch])).argmax(1).numpy()
            conf += confusion(p, labs[i:i + batch])
    return miou(conf)


def train(torch, model, imgs, labs, steps, batch, lr, seed, params=None):
    """Adam with a cosine learning rate, random horizontal flips; the last losses."""
    import torch.nn.functional as F
    g = np.random.default_rng(seed)
    opt = torch.optim.Adam(params if params is not None else model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    model.train()
    losses = []
    yl = torch.from_numpy(labs.astype(np.int64))
    x_all = to_tensor(torch, imgs)
    for step in range(steps):
        idx = g.choice(len(imgs), size=min(batch, len(imgs)), replace=False)
        x, y = x_all[idx], yl[idx]
        if g.uniform() < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
    return float(np.mean(losses[-20:])) if losses else float("nan")


def train_sources(torch, cfg, work, src, fam):
    import models as M
    out = {}
    for name, dom in src.items():
        meta_path = os.path.join(work, "models", f"{name}.json")
        ck = os.path.join(work, "models", f"{name}.pt")
        if os.path.exists(meta_path) and os.path.exists(ck):
            out[name] = jload(meta_path)
            continue
        t0 = time.time()
        xi, yi = domain_split(work, dom, "train", cfg["n_src_train"], 1)
        xt, yt = domain_split(work, dom, "test", cfg["n_tgt_test"], 3)
        torch.manual_seed(int(name[1:]))
        model = M.FACTORIES[fam[name]]()
        loss = train(torch, model, xi, yi, cfg["src_steps"], cfg["src_batch"], cfg["src_lr"], int(name[1:]))
        acc = evaluate(torch, model, xt, yt)
        os.makedirs(os.path.dirname(ck), exist_ok=True)
        torch.save(model.state_dict(), ck)
        meta = dict(name=name, family=fam[name], final_loss=loss, source_test_miou=acc,
                    seconds=time.time() - t0, steps=cfg["src_steps"])
        jsave(meta_path, meta)
        log(f"source {name} ({fam[name]}): loss {loss:.3f}, own test mIoU {acc:.1f}, {meta['seconds']:.0f}s")
        out[name] = meta
    return out


def load_source(torch, work, name, family):
    import models as M
    m = M.FACTORIES[family]()
    m.load_state_dict(torch.load(os.path.join(work, "models", f"{name}.pt")))
    return m.eval()


def transfer(torch, cfg, work, src, tg, fam, reverse=False):
    """Zero-shot, frozen-head and fine-tuned target mIoU of each source, cached per pair.

    reverse takes the targets in the opposite order and waits for sources
    still being trained: a second process started with --reverse --until
    transfer shares the work with the first (each skips the pairs the other
    has written; the results are deterministic and written atomically).
    """
    import torch.nn.functional as F
    res = {}
    pairs = [(t, s) for t in tg for s in src]
    if reverse:
        pairs.reverse()
    while pairs:
        t, s = pairs.pop(0)
        tdom = tg[t]
        xtr, ytr = domain_split(work, tdom, "train", cfg["n_tgt_train"], 2)
        xte, yte = domain_split(work, tdom, "test", cfg["n_tgt_test"], 3)
        if True:
            path = os.path.join(work, "transfer", f"{s}__{t}.json")
            if os.path.exists(path):
                res[(s, t)] = jload(path)
                continue
            if not os.path.exists(os.path.join(work, "models", f"{s}.json")):
                pairs.append((t, s))  # its source is still being trained (by the other process)
                time.sleep(10 if all(not os.path.exists(os.path.join(work, "models", f"{q}.json"))
                                     for _, q in pairs) else 0)
                continue
            t0 = time.time()
            r = dict(source=s, target=t, zeroshot=evaluate(torch, load_source(torch, work, s, fam[s]), xte, yte),
                     frozen=[], finetune=[])
            for seed in cfg["seeds"]:
                # (a) frozen backbone (BatchNorm statistics of the source), new 1x1 head.
                torch.manual_seed(seed)
                m = load_source(torch, work, s, fam[s])
                m.head.reset_parameters()
                with torch.no_grad():
                    emb = m.backbone(to_tensor(torch, xtr))
                    emb_f = emb.flip(-1)
                # The head learns on the embedding's grid, each cell labelled as the tool labels it: the
                # label at (4h, 4w), nearest neighbour (16x fewer pixels than the image's).
                yl = torch.from_numpy(ytr[:, ::4, ::4].astype(np.int64))
                opt = torch.optim.Adam(m.head.parameters(), lr=cfg["head_lr"])
                g = np.random.default_rng(seed)
                for _ in range(cfg["head_steps"]):
                    flip = g.uniform() < 0.5
                    e, y = (emb_f, yl.flip(-1)) if flip else (emb, yl)
                    loss = F.cross_entropy(m.head(e), y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                r["frozen"].append(evaluate(torch, m, xte, yte))
                # (b) full fine-tuning from the source weights, new head.
                torch.manual_seed(seed)
                m = load_source(torch, work, s, fam[s])
                m.head.reset_parameters()
                train(torch, m, xtr, ytr, cfg["ft_steps"], cfg["ft_batch"], cfg["ft_lr"], 100 + seed)
                r["finetune"].append(evaluate(torch, m, xte, yte))
            r["frozen_mean"] = float(np.mean(r["frozen"]))
            r["finetune_mean"] = float(np.mean(r["finetune"]))
            r["seconds"] = time.time() - t0
            jsave(path, r)
            log(f"transfer {s} → {t}: zero-shot {r['zeroshot']:.1f}, frozen {r['frozen_mean']:.1f}, "
                f"fine-tuned {r['finetune_mean']:.1f} ({r['seconds']:.0f}s)")
            res[(s, t)] = r
    return res


# ---------------------------------------------------------------- features

def export(work, src, tg, fam, cfg, reverse=False):
    """Runs scripts/export_features.py (in this process, with the user's flags).

    reverse takes the bundles in the opposite order (a second process)."""
    import export_features as EF
    t0 = time.time()
    kinds = {"emb": [], "logits": ["--layer", "head", "--hook", "output"]}
    jobs = []
    for s, sdom in src.items():
        model = ["--model-file", os.path.join(HERE, "models.py"), "--factory", "build_" + fam[s].lower(),
                 "--checkpoint", os.path.join(work, "models", f"{s}.pt"), "--device", "cpu", "--quiet",
                 "--batch-size", "8"]
        xi, yi = domain_split(work, sdom, "feat", cfg["n_src_feat"], 4)
        si, sl = png_folder(work, sdom, "feat", xi, yi)
        for kind, extra in kinds.items():
            jobs.append((os.path.join(work, "feats", s, f"src_{kind}.npz"), model + extra + ["--images", si, "--labels", sl]))
            for t, tdom in tg.items():
                xt, yt = domain_split(work, tdom, "train", cfg["n_tgt_train"], 2)
                ti, tl = png_folder(work, tdom, "train", xt, yt)
                for bn in ("", "_adabn"):
                    jobs.append((os.path.join(work, "feats", s, f"{t}_{kind}{bn}.npz"),
                                 model + extra + ["--images", ti, "--labels", tl] + (["--adapt-bn"] if bn else [])))
    n = 0
    for out, args in (reversed(jobs) if reverse else jobs):
        if os.path.exists(out):
            continue
        tmp = out[:-4] + f".part{os.getpid()}.npz"
        if os.path.exists(tmp):
            os.remove(tmp)
        rc = EF.main(args + ["--out", tmp])
        if rc != 0:
            raise SystemExit(f"export_features.py {' '.join(args)}: exit status {rc}")
        os.replace(tmp, out)
        n += 1
    if n:
        log(f"exported {n} feature bundles ({time.time() - t0:.0f}s)")


# ---------------------------------------------------------------- scores

def variants(cfg, otce, help_text):
    """The scoring variants: name → (feature file suffix, extra flags, description)."""
    n, k = str(cfg["otce_n"]), str(cfg["otce_k"])
    base = ["-n", n, "-k", k, "--layout", "nchw"]
    v = {
        "paper": ("emb", base, "embeddings (the classifier's input), the paper's settings: ε = 0.1, cost not normalised, Sinkhorn, uniform sampling"),
        "logits": ("logits", base, "logits (the classifier's output) instead of embeddings"),
        "median": ("emb", base + ["--cost-norm", "median"], "embeddings, cost divided by its median (ε relative to the typical cost)"),
        "emd": ("emb", ["-n", str(cfg["emd_n"]), "-k", str(cfg["emd_k"]), "--solver", "emd", "--layout", "nchw"],
                f"embeddings, exact OT (--solver emd, the ε → 0 limit) at N = {cfg['emd_n']}, K = {cfg['emd_k']}"),
        "k5": ("emb", ["-n", n, "-k", str(5 * cfg["otce_k"]), "--layout", "nchw"],
               f"the paper's setting with K = {5 * cfg['otce_k']} repetitions: how much one sample of N = {n} pixels moves the score"),
        "adapt-bn": ("emb_adabn", base, "embeddings, target features exported with --adapt-bn (BatchNorm statistics re-estimated on the target images)"),
    }
    if probe(otce, cfg, ["--shared-classes"], key="metrics"):
        v["logits-zeroshot"] = ("logits", base + ["--shared-classes"], "logits with --shared-classes (adds the zero-shot metric)")
    if "per-class" in help_text and probe(otce, cfg, ["--sampling", "per-class"]):
        v["per-class"] = ("emb", base + ["--sampling", "per-class"], "embeddings, --sampling per-class (pixels drawn evenly over the classes present)")
        v["adapt-bn+per-class"] = ("emb_adabn", base + ["--sampling", "per-class"], "both variants together")
    return v


_PROBE = {}


def probe(otce, cfg, flags, key=None):
    """Whether this build implements flags: one small `otce score` (N = 300, K = 1) on the first
    source and target, which must give another score than without them, or (key) a JSON object key.
    A build may accept a flag before it implements it."""
    work, (s, t) = _PROBE["work"], _PROBE["pair"]
    f, sf = os.path.join(work, "feats", s, f"{t}_logits.npz"), os.path.join(work, "feats", s, "src_logits.npz")
    cmd = [otce, "score", "--source-features", sf, "--source-labels", sf, "--target-features", f,
           "--target-labels", f, "-n", "300", "-k", "1", "--layout", "nchw", "--format", "json", "--quiet"]
    try:
        a = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
        b = json.loads(subprocess.run(cmd + flags, capture_output=True, text=True).stdout)
    except ValueError:
        return False
    a = a["candidates"][0] if "candidates" in a else a
    b = b["candidates"][0] if "candidates" in b else b
    ok = bool(b.get(key)) if key else a.get("otce_mean") != b.get("otce_mean")
    log(f"probe {' '.join(flags)}: {'implemented' if ok else 'not implemented in this build'}")
    _PROBE.setdefault("results", {})[" ".join(flags)] = ok
    return ok


def score(work, otce, src, tg, res, cfg, rescore=False, reverse=False, cached_only=False):
    help_text = subprocess.run([otce, "help"], capture_output=True, text=True).stdout + \
        subprocess.run([otce, "help"], capture_output=True, text=True).stderr
    _PROBE.update(work=work, pair=(next(iter(src)), next(iter(tg))))
    vs = variants(cfg, otce, help_text)
    out = {}
    skipped = {}
    todo = list(vs.items())
    if reverse:  # a second process: the plain variants from the last, never the probes
        todo = [kv for kv in reversed(todo) if kv[0] not in ("logits-zeroshot", "per-class", "adapt-bn+per-class")]
    for vname, (suffix, flags, _) in todo:
        # Variants that only add what this build may lack are run on the first target, and dropped when
        # they give nothing new: --shared-classes without a "metrics" object, per-class sampling that gives
        # the uniform scores (a build that accepts the flag but does not implement it).
        for i, t in enumerate(tg):
            if i == 1 and vname in ("logits-zeroshot",) and not any(
                    c.get("metrics") for c in out[(vname, next(iter(tg)))].get("candidates", [])):
                skipped[vname] = "this build's JSON has no metrics object: --shared-classes adds nothing to the logits row"
                break
            if i == 1 and vname == "per-class" and ("paper", next(iter(tg))) in out and [
                    c.get("otce_mean") for c in out[(vname, next(iter(tg)))]["candidates"]] == [
                    c.get("otce_mean") for c in out[("paper", next(iter(tg)))]["candidates"]]:
                skipped[vname] = "gave exactly the uniform scores on the first target: this build accepts the flag but does not implement it"
                break
            if vname == "adapt-bn+per-class" and "per-class" in skipped:
                skipped[vname] = skipped["per-class"]
                break
            path = os.path.join(work, "scores", vname, f"{t}.json")
            if rescore and os.path.exists(path):
                os.remove(path)
            if cached_only and not os.path.exists(path):
                skipped[vname] = "not scored (the run was stopped before it; --cached-only)"
                break
            if not os.path.exists(path):
                cands = []
                for s in src:
                    f = os.path.join(work, "feats", s, f"{t}_{suffix}.npz")
                    sf = os.path.join(work, "feats", s, f"src_{suffix.split('_')[0]}.npz")
                    cands.append(dict(name=s, source_features=sf, source_labels=sf, target_features=f,
                                      target_labels=f, accuracy=res[(s, t)]["finetune_mean"]))
                man = os.path.join(work, "scores", vname, f"{t}.manifest.json")
                jsave(man, dict(candidates=cands))
                t0 = time.time()
                p = subprocess.run([otce, "rank", "--manifest", man, "--format", "json", "--quiet"] + flags,
                                   capture_output=True, text=True)
                if p.returncode not in (0, 2) or not p.stdout.strip():
                    raise SystemExit(f"otce rank {man}: exit status {p.returncode}\n{p.stderr}")
                j = json.loads(p.stdout)
                j["command"] = ["otce", "rank", "--manifest", os.path.relpath(man, work), "--format", "json"] + flags
                j["wall_seconds"] = time.time() - t0
                j["stderr"] = p.stderr
                jsave(path, j)
                log(f"scored {vname} {t} ({j['wall_seconds']:.0f}s)")
            out[(vname, t)] = jload(path)
    for flags, ok in (_PROBE.get("results") or {}).items():
        if not ok:
            name = {"--sampling per-class": "per-class", "--shared-classes": "logits-zeroshot"}.get(flags, flags)
            skipped[name] = (f"a probe (`otce score` at N = 300 on one pair, with and without `{flags}`) found it "
                             "not implemented in this build (same score, or no metrics object)")
            vs[name] = ("", [], flags)
    for vname, why in skipped.items():
        log(f"variant {vname}: {why}")
        for t in tg:
            out.pop((vname, t), None)
        vs[vname] = vs[vname][:2] + (vs[vname][2] + f" — not run: {why}",)
    return vs, out, skipped


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="1 source, 1 target, tiny budgets (CI)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "reproduce"), help="cache folder")
    ap.add_argument("--otce", default=os.path.join(ROOT, "build", "otce"), help="the otce binary")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs"),
                    help="where REPRODUCTION.md and its figures go ('' for nowhere)")
    ap.add_argument("--rescore", action="store_true", help="drop the cached scores and score again")
    ap.add_argument("--reverse", action="store_true",
                    help="take the transfers in reverse order (a second process sharing the work)")
    ap.add_argument("--until", choices=["sources", "transfer", "features", "scores"],
                    help="stop after this stage (no report)")
    ap.add_argument("--cached-only", action="store_true",
                    help="report from the scores cached so far, run no otce (an interrupted run's partial report)")
    ap.add_argument("--note", default="", help="a sentence for the report's run-time section (how it was run)")
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch threads (default 1: on a loaded machine two OpenMP threads were 10-30x slower)")
    args = ap.parse_args(argv)
    if args.reverse and not args.until:
        args.until = "transfer"
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = SMOKE if args.smoke else FULL
    work = args.work
    os.makedirs(work, exist_ok=True)
    timing_path = os.path.join(work, "timing.json")
    timing = jload(timing_path) if os.path.exists(timing_path) else {}

    def stage(name, fn):
        t0 = time.time()
        r = fn()
        dt = time.time() - t0
        timing.setdefault("first", {}).setdefault(name, dt)
        timing.setdefault("last", {})[name] = dt
        if not args.reverse:
            jsave(timing_path, timing)
        return r

    src, tg, fam = build_domains(cfg)
    if not args.reverse:
        meta = stage("sources", lambda: train_sources(torch, cfg, work, src, fam))
    if args.until == "sources":
        return 0
    res = stage("transfer", lambda: transfer(torch, cfg, work, src, tg, fam, args.reverse))
    if args.until == "transfer":
        return 0
    stage("features", lambda: export(work, src, tg, fam, cfg, args.reverse))
    if args.until == "features":
        return 0
    vs, scores, skipped = stage("scores", lambda: score(work, args.otce, src, tg, res, cfg, args.rescore, args.reverse,
                                                                   args.cached_only))
    if args.until == "scores":
        return 0
    timing["load"] = os.getloadavg()
    if args.note:
        timing["note"] = args.note
    jsave(timing_path, timing)
    import report
    rep = report.build(cfg, src, tg, fam, meta, res, vs, scores, timing, work, args.docs, smoke=args.smoke,
                       skipped=skipped, note=args.note)
    print(rep["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
