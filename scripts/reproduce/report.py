"""docs/REPRODUCTION.md and its figures, from the cached results of run.py.

Reads every score present in `otce rank --format json`: OTCE (otce_mean),
the OT domain distance (−W_D: mean of wd, negated so that higher means
nearer) and every entry of a candidate's "metrics" object ({"logme":
{"mean": …}, …}), so that scores the tool adds later appear here without a
change. Correlations are Pearson r, Spearman ρ and Kendall τ-b (scipy.stats)
across the sources, per target, between a score and (a) the frozen-head or
(b) the fine-tuned target mIoU (each the mean over the seeds).
"""

import datetime
import re
import json
import os
import platform
import time

import numpy as np
from scipy import stats

import domains as D

ACC = {"frozen": "(a) frozen + 1×1 head", "finetune": "(b) fine-tuned"}
CORR = ("pearson", "spearman", "kendall")
SYM = {"pearson": "r", "spearman": "ρ", "kendall": "τ"}


def scores_of(j):
    """source name → {metric: value} from one `otce rank --format json` output."""
    out = {}
    for c in j.get("candidates", []):
        if "otce_mean" not in c or c.get("error"):
            continue
        m = {"OTCE": c["otce_mean"]}
        if c.get("wd"):
            m["−W_D"] = -float(np.mean(c["wd"]))
        for name, v in sorted((c.get("metrics") or {}).items()):
            if not isinstance(v, dict) or v.get("mean") is None:
                continue
            if name.lower() == "otce" and abs(v["mean"] - c["otce_mean"]) < 1e-9:
                continue
            m[name] = float(v["mean"])
        out[c["name"]] = m
    return out


def correlate(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {c: float("nan") for c in CORR}
    return {"pearson": float(stats.pearsonr(x, y)[0]), "spearman": float(stats.spearmanr(x, y)[0]),
            "kendall": float(stats.kendalltau(x, y)[0])}


def random_null(n, t, reps=20000, seed=0):
    """Pearson r of a random score over n sources: quantiles for one target and for the mean of t."""
    g = np.random.default_rng(seed)
    acc = g.normal(size=n)
    r = np.array([np.corrcoef(g.normal(size=n), acc)[0, 1] for _ in range(reps)])
    mean_t = r[: (reps // t) * t].reshape(-1, t).mean(1)
    return r, mean_t


def fmt(v, d=2):
    return "—" if v is None or not np.isfinite(v) else f"{v:+.{d}f}"


# ---------------------------------------------------------------- figures

def font():
    from PIL import ImageFont
    for p in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if os.path.exists(p):
            return ImageFont.truetype(p, 12)
    return ImageFont.load_default()


def scatter(panels, path, title):
    """panels: list of (title, xs, ys, labels, xlabel, ylabel); one PNG, side by side."""
    from PIL import Image, ImageDraw
    pw, ph, m = 330, 300, 48
    img = Image.new("RGB", (pw * len(panels), ph + 24), "white")
    dr = ImageDraw.Draw(img)
    f = font()
    dr.text((8, 4), title, fill="black", font=f)
    for i, (pt, xs, ys, labs, xl, yl) in enumerate(panels):
        ox, oy = i * pw, 24
        x0, y0, x1, y1 = ox + m, oy + 20, ox + pw - 12, oy + ph - m
        dr.rectangle([x0, y0, x1, y1], outline="black")
        dr.text((ox + m, oy + 2), pt, fill="black", font=f)
        dr.text((ox + m, y1 + 22), xl, fill="black", font=f)
        dr.text((ox + 2, y0 - 14), yl, fill="black", font=f)
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if ok.sum() == 0:
            continue
        lo_x, hi_x = xs[ok].min(), xs[ok].max()
        lo_y, hi_y = ys[ok].min(), ys[ok].max()
        sx = (hi_x - lo_x) or 1.0
        sy = (hi_y - lo_y) or 1.0
        lo_x, hi_x, lo_y, hi_y = lo_x - 0.08 * sx, hi_x + 0.08 * sx, lo_y - 0.08 * sy, hi_y + 0.08 * sy
        px = lambda v: x0 + (v - lo_x) / (hi_x - lo_x) * (x1 - x0)
        py = lambda v: y1 - (v - lo_y) / (hi_y - lo_y) * (y1 - y0)
        for v, anchor in ((lo_x, x0), (hi_x, x1)):
            dr.text((anchor - 14, y1 + 4), f"{v:.3g}", fill="gray", font=f)
        for v, anchor in ((lo_y, y1), (hi_y, y0)):
            dr.text((ox + 2, anchor - 6), f"{v:.3g}", fill="gray", font=f)
        if ok.sum() >= 2 and np.ptp(xs[ok]) > 0:
            a, b = np.polyfit(xs[ok], ys[ok], 1)
            dr.line([px(lo_x), py(a * lo_x + b), px(hi_x), py(a * hi_x + b)], fill=(200, 200, 255), width=2)
        for x, y, l in zip(xs, ys, labs):
            if np.isfinite(x) and np.isfinite(y):
                cx, cy = px(x), py(y)
                col = (200, 40, 40) if l.endswith("B") else (30, 30, 160)
                dr.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=col)
                dr.text((cx + 4, cy - 12), l.split(" ")[0], fill=col, font=f)
    img.save(path)


def sample_grid(src, tg, work, path, per=3):
    """Rows of domains: images above their label maps (the canonical palette)."""
    from PIL import Image, ImageDraw
    pal = (D.BASE_PALETTE * 255).astype(np.uint8)
    rows = []
    f = font()
    for dom in list(tg.values()) + list(src.values()):
        x, y = D.dataset(dom, per, 99)
        x = (np.clip(x, 0, 1) * 255).astype(np.uint8)
        tiles = [np.concatenate([xi, pal[yi]], 0) for xi, yi in zip(x, y)]
        row = np.concatenate([np.full((128, 40, 3), 255, np.uint8)] + tiles, 1)
        im = Image.fromarray(row)
        ImageDraw.Draw(im).text((3, 56), dom.name, fill="black", font=f)
        rows.append(np.asarray(im))
    Image.fromarray(np.concatenate(rows, 0)).save(path)


# ---------------------------------------------------------------- the document

def build(cfg, src, tg, fam, meta, res, vs, scores, timing, work, docs, smoke=False, skipped=None, note=""):
    S, T = list(src), list(tg)
    _WORK[0] = work
    acc = {a: {t: [res[(s, t)][a + "_mean"] for s in S] for t in T} for a in ACC}
    zs = {t: [res[(s, t)]["zeroshot"] for s in S] for t in T}
    dist = {t: [-D.distance(src[s], tg[t]) for s in S] for t in T}
    null1, nullT = random_null(len(S), len(T))

    def table_for(vname):
        """metric → target → acc → corr dict; plus baselines."""
        per = {}
        for t in T:
            sc = scores_of(scores[(vname, t)])
            names = sorted({m for d in sc.values() for m in d}, key=lambda m: (m != "OTCE", m != "−W_D", m))
            for mname in names:
                xs = [sc.get(s, {}).get(mname, float("nan")) for s in S]
                for a in ACC:
                    per.setdefault(mname, {}).setdefault(t, {})[a] = correlate(xs, acc[a][t])
                per[mname][t]["x"] = xs
        return per

    def baselines():
        per = {}
        for label, src_ in (("zero-shot mIoU (baseline)", zs), ("−domain distance (generator's truth)", dist)):
            for t in T:
                for a in ACC:
                    per.setdefault(label, {}).setdefault(t, {})[a] = correlate(src_[t], acc[a][t])
                per[label][t]["x"] = src_[t]
        return per

    def mean_over(per_m, a, c):
        v = [per_m[t][a][c] for t in T if np.isfinite(per_m[t][a][c])]
        return float(np.mean(v)) if v else float("nan")

    def p_mean(r):
        return float(np.mean(nullT >= r)) if np.isfinite(r) else float("nan")

    def main_table(per):
        lines = ["| score | target | " + " | ".join(f"{SYM[c]} {ACC[a].split(' ')[0]}" for a in ACC for c in CORR) + " |",
                 "|---|---|" + "---:|" * (len(ACC) * len(CORR))]
        for mname, d in per.items():
            for t in T:
                lines.append(f"| {mname} | {t} | " + " | ".join(fmt(d[t][a][c]) for a in ACC for c in CORR) + " |")
            lines.append(f"| **{mname}** | **mean** | " + " | ".join(
                f"**{fmt(mean_over(d, a, c))}**" for a in ACC for c in CORR) + " |")
        return "\n".join(lines)

    main = table_for("paper")
    base = baselines()
    out = {"summary": ""}
    if docs:
        fig = os.path.join(docs, "reproduction")
        os.makedirs(fig, exist_ok=True)
    lines = []
    w = lines.append
    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    w("# Does the score track transfer? A miniature of the paper's experiment")
    w("")
    w("*Written by `scripts/reproduce/run.py` (`make reproduce`); do not edit by hand: edit the script and rerun "
      "(a rerun only rescores: trained models, transfers and features are cached under `build/reproduce/`).*")
    w("")
    w(f"Generated {now} on {platform.machine()} ({os.cpu_count()} cores), PyTorch CPU, fixed seeds.")
    w("")
    w("## The protocol")
    w("")
    w("The paper (Tan et al., *Transferability estimation for semantic segmentation*, OTCE) trains source models on "
      "sub-domains of Cityscapes, BDD100K and GTA5, transfers each to a target city, and reports Pearson's r between "
      "OTCE and the transferred accuracy (up to ≈ 0.77). Here the same protocol runs in miniature on a laptop CPU:")
    w("")
    w(f"- **Domains** (`scripts/reproduce/domains.py`): procedurally generated {D.K}-class road scenes "
      f"({', '.join(D.CLASSES)}), {H_}×{W_} pixels. Each domain has its own palette, texture, illumination "
      "(brightness, contrast, colour cast, gradient, shadows), blur, noise, object sizes and class frequencies "
      "(horizon height, building/vegetation density, number of cars and poles, road width): a point in a "
      f"{len(D.PARAMS)}-dimensional parameter space plus palette offsets, the canonical domain shifted by `shift` along "
      "a random direction — from the canonical domain, or *around* a target (a source near that target). "
      "`domains.distance` is the Euclidean distance between two domains' parameter vectors: the generator's truth "
      "of how far apart they are, shown below as a reference score (−distance).")
    w(f"- **Sources**: {len(S)} networks (`scripts/reproduce/models.py`), one per source domain, "
      f"{sum(1 for s in S if fam[s] == 'A')} of family A (plain conv-BN-ReLU, embedding 32) and "
      f"{sum(1 for s in S if fam[s] == 'B')} of family B (residual, dilated, embedding 48), output stride 4; each "
      f"trained from scratch on {cfg['n_src_train']} images for {cfg['src_steps']} Adam steps (batch {cfg['src_batch']}, "
      f"lr {cfg['src_lr']}, cosine).")
    w(f"- **Targets**: {len(T)} domains, each with {cfg['n_tgt_train']} labelled training images (the small target "
      f"set; OTCE's target features are exported from these) and {cfg['n_tgt_test']} held-out test images.")
    w(f"- **Transfer**, seeds {cfg['seeds']}, a new 1×1 classifier in both: (a) frozen backbone (source BatchNorm "
      f"statistics), head trained for {cfg['head_steps']} full-batch Adam steps (lr {cfg['head_lr']}); (b) full "
      f"fine-tuning for {cfg['ft_steps']} Adam steps (batch {cfg['ft_batch']}, lr {cfg['ft_lr']}). Accuracy: mIoU on "
      "the target test set, mean over the seeds. Zero-shot: the source model as it is (the label spaces agree).")
    w(f"- **Features**: `scripts/export_features.py --model-file scripts/reproduce/models.py --factory build_a|build_b "
      f"--checkpoint S.pt` — embeddings (the input of `head`, the default) and logits (`--layer head --hook output`), "
      f"on the 16×32 grid (labels 64×128 map onto it by nearest neighbour); source features from {cfg['n_src_feat']} "
      "source images; target features from the target training images, and again with `--adapt-bn`.")
    w(f"- **Scores**: `otce rank --manifest` per target (one manifest of {len(S)} candidates), "
      f"N = {cfg['otce_n']} pixels, K = {cfg['otce_k']} repetitions, otherwise the paper's settings (ε = 0.1, "
      "cost not normalised, Sinkhorn, uniform sampling). N is below the paper's because "
      f"each export holds {cfg['n_tgt_train']}×512 = {cfg['n_tgt_train'] * 512} pixels and the run must fit "
      "an hour on a shared 2-core machine. Every score in the tool's JSON is read (OTCE, −W_D, and the `metrics` "
      "object when the tool has it).")
    w("")
    if docs:
        sample_grid(src, tg, work, os.path.join(fig, "domains.png"))
        w("![sample of every domain: images above their label maps](reproduction/domains.png)")
        w("")
    w("*Domains (targets first): three samples each, the image above its label map.*")
    w("")
    w("### Domains and sources")
    w("")
    w("| domain | role | family | shift | around | own test mIoU | final train loss | " +
      " | ".join(f"distance to {t}" for t in T) + " | class shares (" + ", ".join(c[:4] for c in D.CLASSES) + ") |")
    w("|---|---|---|---:|---|---:|---:|" + "---:|" * len(T) + "---|")
    for t in T:
        dom = tg[t]
        w(f"| {t} | target | | {dom.shift} | | | | " + " | ".join("" for _ in T) + " | " +
          shares(work, t, "train") + " |")
    for s in S:
        dom = src[s]
        mm = meta[s]
        w(f"| {s} | source | {fam[s]} | {dom.shift} | {dom.around or ''} | {mm['source_test_miou']:.1f} | "
          f"{mm['final_loss']:.3f} | " + " | ".join(f"{D.distance(dom, tg[t]):.2f}" for t in T) + " | " +
          shares(work, s, "train") + " |")
    w("")
    w("### Transfer (target test mIoU, %)")
    w("")
    w("| source | family | " + " | ".join(f"{t} zero-shot | {t} (a) frozen | {t} (b) fine-tuned" for t in T) + " |")
    w("|---|---|" + "---:|" * (3 * len(T)))
    for s in S:
        cells = []
        for t in T:
            r = res[(s, t)]
            cells += [f"{r['zeroshot']:.1f}", f"{r['frozen_mean']:.1f} ± {np.std(r['frozen']):.1f}",
                      f"{r['finetune_mean']:.1f} ± {np.std(r['finetune']):.1f}"]
        w(f"| {s} | {fam[s]} | " + " | ".join(cells) + " |")
    w("")
    w("(± is the spread over the seeds: half the difference for two seeds.)")
    w("")

    # ---- the main table
    w("## Results at the paper's setting (embeddings)")
    w("")
    w(f"Correlation across the {len(S)} sources, per target, between each score and the transferred mIoU: "
      "Pearson r, Spearman ρ, Kendall τ-b, against (a) frozen + new head and (b) fine-tuning. Baselines below the "
      "scores.")
    w("")
    r90 = np.quantile(null1, [0.05, 0.95])
    rT90 = np.quantile(nullT, [0.05, 0.95])
    table = main_table({**main, **base})
    w(table)
    w("")
    w(f"**A random score**: with {len(S)} sources, Pearson r of a random score lies in "
      f"[{r90[0]:+.2f}, {r90[1]:+.2f}] 90 % of the time for one target, and its mean over {len(T)} targets in "
      f"[{rT90[0]:+.2f}, {rT90[1]:+.2f}] ({len(null1)} draws). p below is the share of random scores whose mean r "
      "over the targets is at least the one measured (one-sided).")
    w("")
    w("| score | mean r (a) | p (a) | mean r (b) | p (b) |")
    w("|---|---:|---:|---:|---:|")
    headline = {}
    for mname, d in {**main, **base}.items():
        ra, rb = mean_over(d, "frozen", "pearson"), mean_over(d, "finetune", "pearson")
        headline[mname] = (ra, rb)
        w(f"| {mname} | {fmt(ra)} | {p_mean(ra):.3f} | {fmt(rb)} | {p_mean(rb):.3f} |")
    w("")

    first = os.path.join(docs, "reproduction", "first_run.md") if docs else None
    if first and not smoke:
        if not os.path.exists(first):
            with open(first, "w") as f:
                f.write(f"<!-- the first full run's table, as measured ({now}); kept by report.py, never rewritten -->\n\n")
                f.write(table + "\n")
        w("The first full run's table, kept as measured: [reproduction/first_run.md](reproduction/first_run.md) "
          "(identical to the one above unless the tool, or the pipeline, has changed since).")
        w("")

    # ---- figures
    if docs:
        for a in ACC:
            panels = []
            for t in T:
                xs = main["OTCE"][t]["x"]
                panels.append((f"{t}: r = {fmt(main['OTCE'][t][a]['pearson'])}", xs, acc[a][t],
                               [f"{s} {fam[s]}" for s in S], "OTCE (−CE)", "mIoU %"))
            name = f"otce_vs_{a}.png"
            scatter(panels, os.path.join(fig, name), f"OTCE (embeddings, paper's setting) vs {ACC[a]} target mIoU "
                    "(blue: family A, red: family B)")
            w(f"![OTCE against {ACC[a]} mIoU](reproduction/{name})")
            w("")
        panels = [(f"{t}: r = {fmt(base['zero-shot mIoU (baseline)'][t]['finetune']['pearson'])}", zs[t],
                   acc["finetune"][t], [f"{s} {fam[s]}" for s in S], "zero-shot mIoU %", "fine-tuned mIoU %") for t in T]
        scatter(panels, os.path.join(fig, "zeroshot_vs_finetune.png"), "Baseline: zero-shot vs fine-tuned mIoU")
        w("![zero-shot against fine-tuned mIoU](reproduction/zeroshot_vs_finetune.png)")
        w("")

    # ---- variants
    w("## Variants (reported separately)")
    w("")
    w("Mean over the targets of Pearson r (Spearman ρ in brackets) between each score and the transferred mIoU. "
      "The paper's setting is the first row.")
    w("")
    w("| variant | what | score | mean r (a) frozen | mean r (b) fine-tuned |")
    w("|---|---|---|---:|---:|")
    var_tables = {}
    skipped = skipped or {}
    for vname, (_, flags, desc) in vs.items():
        if vname in skipped or any((vname, t) not in scores for t in T):
            continue
        per = table_for(vname)
        var_tables[vname] = per
        for mname, d in per.items():
            if vname == "logits-zeroshot" and mname in ("OTCE", "−W_D"):
                continue
            w(f"| {vname} | {desc} | {mname} | {fmt(mean_over(d, 'frozen', 'pearson'))} "
              f"({fmt(mean_over(d, 'frozen', 'spearman'))}) | {fmt(mean_over(d, 'finetune', 'pearson'))} "
              f"({fmt(mean_over(d, 'finetune', 'spearman'))}) |")
    w("")
    w("Per target (Pearson r of OTCE, (a) / (b)):")
    w("")
    w("| variant | " + " | ".join(T) + " |")
    w("|---|" + "---|" * len(T))
    for vname, per in var_tables.items():
        if "OTCE" in per:
            w(f"| {vname} | " + " | ".join(f"{fmt(per['OTCE'][t]['frozen']['pearson'])} / "
                                           f"{fmt(per['OTCE'][t]['finetune']['pearson'])}" for t in T) + " |")
    w("")
    if "per-class" not in vs:
        w("`--sampling per-class` is not in this build's `otce help`: that variant was not run.")
        w("")
    for vname, why in skipped.items():
        if why.startswith("not scored"):
            w(f"Variant *{vname}* ({vs[vname][2].split(' — ')[0]}): **{why}**.")
        elif why.startswith("a probe"):
            w(f"Variant *{vname}* (`{vs[vname][2].split(' — ')[0]}`) was not run: {why}. A rescore after the "
              "feature lands (`make reproduce-rescore`) adds it" + (" (and its combination with --adapt-bn)"
                                                                    if vname == "per-class" else "") + ".")
        else:
            w(f"Variant *{vname}* ({vs[vname][2].split(' — ')[0]}) was run on the first target only and dropped: "
              f"{why}.")
        w("")

    # ---- ε regime
    w("## The ε regime")
    w("")
    w("The tool warns when ε is small against the typical cost (`eps_over_median` in the JSON diagnostics: ε ÷ the "
      "median of the cost matrix). Per variant, the range of that ratio over all candidates and targets, and the "
      "tool's warnings (distinct texts, with their counts):")
    w("")
    w("| variant | ε ÷ median cost (min … max) | warnings |")
    w("|---|---|---|")
    for vname in var_tables:
        ratios, warns = [], {}
        for t in T:
            for c in scores[(vname, t)].get("candidates", []):
                d = c.get("diagnostics") or {}
                if d.get("eps_over_median") is not None:
                    ratios.append(d["eps_over_median"])
                for x in c.get("warnings") or []:
                    key = re.sub(r"[0-9][0-9.e+-]*", "#", re.sub(r"\S*/\S*", "<file>", x))
                    warns[key] = warns.get(key, 0) + 1
        rr = f"{min(ratios):.2g} … {max(ratios):.2g}" if ratios else "—"
        ww = "; ".join(f"{k} (×{n})" for k, n in sorted(warns.items())) or "none"
        w(f"| {vname} | {rr} | {ww[:600]} |")
    w("")

    # ---- discussion
    w("## What the numbers show, and what they do not")
    w("")
    for para in discussion(headline, main, base, var_tables, T, S, res, fam, null1, nullT, vs, scores, cfg):
        w(para)
        w("")

    # ---- run time
    w("## Run time")
    w("")
    first_t = timing.get("first", {})
    last_t = timing.get("last", {})
    w("| stage | first run (s) | last run (s) |")
    w("|---|---:|---:|")
    for k in ("sources", "transfer", "features", "scores"):
        w(f"| {k} | {first_t.get(k, float('nan')):.0f} | {last_t.get(k, float('nan')):.0f} |")
    w(f"| total | {sum(first_t.values()):.0f} | {sum(last_t.values()):.0f} |")
    w("")
    tr_s = sum(meta[s].get("seconds", 0) for s in S)
    tf_s = sum(res[(s, t)].get("seconds", 0) for s in S for t in T)
    sc_s = sum(scores[k].get("wall_seconds", 0) for k in scores)
    starts = [os.path.getmtime(os.path.join(work, "models", f"{s}.json")) - meta[s].get("seconds", 0) for s in S
              if os.path.exists(os.path.join(work, "models", f"{s}.json"))]
    if starts and not smoke:
        if "first_end" not in timing:
            timing["first_end"] = time.time()
            with open(os.path.join(work, "timing.json"), "w") as f:
                json.dump(timing, f, indent=1)
        w(f"Wall clock of the first full run, from the first source's training to its report: "
          f"{(timing['first_end'] - min(starts)) / 60:.0f} min (from the cached records' times).")
        w("")
    note = note or timing.get("note", "")
    if note:
        w(note)
        w("")
    w(f"Summed from the cached records (which survive an interrupted run): training the {len(S)} sources "
      f"{tr_s:.0f} s, the {len(S) * len(T)} transfers {tf_s:.0f} s, the `otce rank` calls kept in the report "
      f"{sc_s:.0f} s.")
    w("")
    la = timing.get("load")
    w("The machine was shared with other jobs (1-minute load average at the end of the last run: "
      f"{la[0]:.1f} on {os.cpu_count()} cores); PyTorch ran on one thread (`--threads 1`: under that load two "
      "OpenMP threads were 10–30× slower than one). " if la else "")
    w("Reproduce: `make reproduce` (builds `build/otce`, runs `scripts/reproduce/run.py`; cache in "
      "`build/reproduce/`, `make reproduce-clean` drops it). `make reproduce-smoke` is the 1-source, 1-target "
      "version that `make test` runs (`go test ./cmd/otce -run TestReproduceSmoke`, skipped under -short).")
    w("")
    text = "\n".join(lines)
    if docs:
        with open(os.path.join(docs, "REPRODUCTION.md"), "w") as f:
            f.write(text)
    hl = "; ".join(f"{m}: {fmt(a)} / {fmt(b)}" for m, (a, b) in headline.items())
    out["summary"] = f"mean Pearson r over {len(T)} targets, (a) frozen / (b) fine-tuned — {hl}"
    out["text"] = text
    return out


def work_of(scores):
    """The cache folder, from a scored manifest's path (kept in the JSON's command)."""
    return _WORK[0]


_WORK = [None]


def class_l1(work, s, t):
    """L1 distance between the class shares of source s's and target t's training labels."""
    if work is None:
        return float("nan")
    a = np.load(os.path.join(work, "data", f"{s}_train.npz"))["labels"]
    b = np.load(os.path.join(work, "data", f"{t}_train.npz"))["labels"]
    return float(np.abs(D.class_frequencies(a) - D.class_frequencies(b)).sum())


H_, W_ = 64, 128


def shares(work, name, split):
    p = os.path.join(work, "data", f"{name}_{split}.npz")
    if not os.path.exists(p):
        return ""
    return " ".join(f"{v:.2f}" for v in D.class_frequencies(np.load(p)["labels"]))


def _identical(scores, a, b, T):
    for t in T:
        x = [c.get("otce_mean") for c in scores[(a, t)].get("candidates", [])]
        y = [c.get("otce_mean") for c in scores[(b, t)].get("candidates", [])]
        if x != y:
            return False
    return True


def discussion(headline, main, base, var_tables, T, S, res, fam, null1, nullT, vs, scores, cfg):
    """Paragraphs derived from the numbers (no number here is typed in by hand)."""
    out = []
    ra, rb = headline.get("OTCE", (float("nan"), float("nan")))
    zsa, zsb = headline.get("zero-shot mIoU (baseline)", (float("nan"),) * 2)
    da, db = headline.get("−domain distance (generator's truth)", (float("nan"),) * 2)
    q = float(np.quantile(nullT, 0.95))
    out.append(f"**Headline.** At the paper's setting, OTCE's mean Pearson r over the {len(T)} targets is {fmt(ra)} "
               f"with frozen-head transfer and {fmt(rb)} with fine-tuning ({len(S)} sources a target); a random score "
               f"exceeds {q:+.2f} 5 % of the time. The zero-shot mIoU of each source gives {fmt(zsa)} / {fmt(zsb)}, "
               f"the generator's own domain distance {fmt(da)} / {fmt(db)}.")
    for k, label, ref in ((0, "(a) frozen-head", ra), (1, "(b) fine-tuned", rb)):
        better = [m for m, v in headline.items() if m != "OTCE" and np.isfinite(v[k]) and np.isfinite(ref) and v[k] > ref]
        if better:
            out.append(f"**Where OTCE does worse, {label}:** mean r above OTCE's {fmt(ref)} for " + ", ".join(
                f"{m} ({fmt(headline[m][k])})" for m in better) + ". The zero-shot mIoU needs the target's labels "
                "and a shared label space, which OTCE does not; the domain distance is the generator's own truth, "
                "unknowable for real data, and is shown as a ceiling of what the domains alone explain.")
    # Spread of the accuracies themselves.
    spreads = []
    for t in T:
        fa = [res[(s, t)]["finetune_mean"] for s in S]
        fr = [res[(s, t)]["frozen_mean"] for s in S]
        sd = [abs(res[(s, t)]["finetune"][0] - res[(s, t)]["finetune"][-1]) / 2 for s in S]
        spreads.append(f"{t}: fine-tuned {min(fa):.1f}–{max(fa):.1f} (seed spread ≤ {max(sd):.1f}), frozen "
                       f"{min(fr):.1f}–{max(fr):.1f}")
    fr_rng = np.mean([np.ptp([res[(s, t)]["frozen_mean"] for s in S]) for t in T])
    ft_rng = np.mean([np.ptp([res[(s, t)]["finetune_mean"] for s in S]) for t in T])
    ft_seed = np.mean([abs(res[(s, t)]["finetune"][0] - res[(s, t)]["finetune"][-1]) / 2 for s in S for t in T])
    fr_seed = np.mean([abs(res[(s, t)]["frozen"][0] - res[(s, t)]["frozen"][-1]) / 2 for s in S for t in T])
    out.append("**How much there is to rank.** The range of the transferred mIoU over the sources, per target: "
               + "; ".join(spreads) + f". Averaged over the targets, the range between the sources is "
               f"{fr_rng:.1f} points for (a) and {ft_rng:.1f} for (b), the mean seed spread {fr_seed:.1f} and "
               f"{ft_seed:.1f}: " + ("fine-tuning leaves the sources closer together, relative to its seed noise, "
                                      "than frozen-head transfer does" if ft_rng / max(ft_seed, 1e-9) <
                                      fr_rng / max(fr_seed, 1e-9) else
                                      "fine-tuning separates the sources no less than frozen-head transfer") + ".")
    zs_ft = np.mean([correlate([res[(s, t)]["zeroshot"] for s in S], [res[(s, t)]["finetune_mean"] for s in S])["pearson"]
                     for t in T])
    zs_fr = np.mean([correlate([res[(s, t)]["zeroshot"] for s in S], [res[(s, t)]["frozen_mean"] for s in S])["pearson"]
                     for t in T])
    worst = sorted(((res[(s, t)]["zeroshot"] - res[(s, t)]["finetune_mean"], s, t) for s in S for t in T), reverse=True)[:3]
    out.append(f"**Fine-tuning at this budget.** The zero-shot mIoU correlates with the frozen-head mIoU (mean r "
               f"{zs_fr:+.2f}) but not with the fine-tuned one ({zs_ft:+.2f}). The pairs that fine-tuning made worse "
               "than the source model as it was: " + ", ".join(
                   f"{s} → {t} (zero-shot {res[(s, t)]['zeroshot']:.1f}, fine-tuned {res[(s, t)]['finetune_mean']:.1f})"
                   for d, s, t in worst if d > 0) + ". Fine-tuning here starts from a new random head and updates "
               "the whole network for a few dozen steps at one learning rate; the sources that were already good "
               "lose most (a known effect of fine-tuning under a random head — it distorts the pretrained features "
               "before the head has learnt — which this run does not isolate), so (b)'s accuracies measure the "
               "budget as much as the source. A score cannot track what the protocol does not separate: the "
               "fine-tuned column is the weakest part of this miniature, not evidence about OTCE either way.")
    fams = sorted(set(fam.values()))
    if len(fams) > 1:
        by = {}
        for t in T:
            for c in scores[("paper", t)].get("candidates", []):
                r = (c.get("diagnostics") or {}).get("eps_over_median")
                if r is not None and c.get("name") in fam:
                    by.setdefault(fam[c["name"]], []).append(r)
        rng = ", ".join(f"family {f} {min(v):.2g} … {max(v):.2g}" for f, v in sorted(by.items()))
        out.append("**Two families.** Family B's embeddings have 48 dimensions against family A's 32, and each "
                   "network its own feature scale, so the unnormalised costs (squared Euclidean distances) differ "
                   f"in scale between candidates (ε ÷ median cost at the paper's setting: {rng}); at one fixed "
                   "ε = 0.1 the candidates' couplings are not equally sharp, which moves OTCE independently of "
                   "transfer. `--cost-norm median` removes that scale (the *median* variant).")
    ratios = [((c.get("diagnostics") or {}).get("eps_over_median")) for t in T
              for c in scores[("paper", t)].get("candidates", [])]
    ratios = [x for x in ratios if x is not None]
    nearly = sum(1 for k in scores for c in scores[k].get("candidates", [])
                 for x in c.get("warnings") or [] if "nearly unregularised" in x)
    indep = sum(1 for t in T for c in scores[("paper", t)].get("candidates", [])
                for x in c.get("warnings") or [] if "close to independence" in x)
    if ratios:
        lo, hi = min(ratios), max(ratios)
        if hi < 1e-3:
            regime = ("below the tool's 10⁻³ warning threshold for every candidate: the coupling is nearly "
                      "unregularised and the score close to the exact-OT limit")
        elif lo < 1e-3:
            regime = ("below the tool's 10⁻³ warning threshold for some candidates and just above it for the "
                      "others: nearly unregularised couplings")
        elif hi < 0.01:
            regime = ("within a factor of ten of the tool's 10⁻³ warning threshold for every candidate: nearly "
                      "unregularised couplings, close to exact OT")
        else:
            regime = ("above the tool's 10⁻³ threshold: the entropic plan is smoothed by ε, more for the "
                      "candidates with the larger ratio")
        if "emd" in var_tables and "OTCE" in var_tables["emd"]:
            ea = np.mean([var_tables["emd"]["OTCE"][t]["frozen"]["pearson"] for t in T])
            eb = np.mean([var_tables["emd"]["OTCE"][t]["finetune"]["pearson"] for t in T])
            regime += (f". Exact OT (*emd*) gives mean r {fmt(ea)} / {fmt(eb)} against the paper row's "
                       f"{fmt(ra)} / {fmt(rb)}")
        if indep:
            regime += (f"; {indep} candidate-target pairs drew the tool's warning that the coupling is close to "
                       "independence (CE ≥ 0.99·H(Yt)), where the score barely separates candidates")
        out.append(f"**ε regime.** At the paper's setting (cost not normalised), ε ÷ median cost lies in "
                   f"{lo:.2g} … {hi:.2g} over the candidates: {regime}. The *median* variant divides each "
                   "candidate's cost by its median, which puts every candidate at ε = 0.1 of its typical cost, "
                   "a much blurrier coupling." + (
                       f" {nearly} candidate-target pairs over all variants drew the tool's nearly-unregularised "
                       "warning (ε/median below 10⁻³; see the table above)." if nearly else ""))
    kline = ""
    if "k5" in var_tables and "OTCE" in var_tables["k5"]:
        ka = np.mean([var_tables["k5"]["OTCE"][t]["frozen"]["pearson"] for t in T])
        kb = np.mean([var_tables["k5"]["OTCE"][t]["finetune"]["pearson"] for t in T])
        stds = [c.get("otce_std") for t in T for c in scores[("k5", t)].get("candidates", []) if c.get("otce_std")]
        gaps = [np.ptp([c["otce_mean"] for c in scores[("k5", t)]["candidates"] if "otce_mean" in c]) for t in T]
        kline = (f" With more repetitions (*k5*), mean r is {fmt(ka)} / {fmt(kb)}; OTCE's standard deviation over "
                 f"the repetitions is {np.median(stds):.3f} (median over the candidates) against a range of "
                 f"{np.mean(gaps):.3f} between the sources, so one sample of N pixels ranks them"
                 + (" nearly as well as the mean of several." if np.median(stds) < 0.1 * np.mean(gaps) else
                    " only roughly."))
    out.append(f"**N and the domains.** N = {cfg['otce_n']} pixels and K = {cfg['otce_k']} repetition(s) here "
               f"(the tool's defaults, N = 10⁴ and K = 10, did not fit the hour on this loaded machine; each "
               f"target export holds {cfg['n_tgt_train'] * 512} pixels).{kline} "
               f"With {len(S)} sources per target and {len(T)} targets, one correlation is weak evidence: a "
               f"random score's r exceeds {np.quantile(null1, 0.95):+.2f} 5 % of the time for one target. "
               "The domains are synthetic: appearance shifts (palette, texture, light, blur) and label-frequency "
               "shifts are separate knobs here, which real cities mix; the networks are tiny and trained in "
               "minutes. The miniature tests the protocol and the tool end to end, not the paper's numbers.")
    if "adapt-bn" in var_tables and "OTCE" in var_tables["adapt-bn"]:
        va = np.mean([var_tables["adapt-bn"]["OTCE"][t]["finetune"]["pearson"] for t in T])
        vf = np.mean([var_tables["adapt-bn"]["OTCE"][t]["frozen"]["pearson"] for t in T])
        verdict = ("helps on both" if va > rb and vf > ra else "does not help on either" if va <= rb and vf <= ra
                   else "helps on fine-tuning only" if va > rb else "helps on frozen-head transfer only")
        rec = ("not a recommended setting on this evidence" if verdict == "does not help on either" else
               "worth trying where BatchNorm statistics differ, on this evidence")
        out.append(f"**--adapt-bn.** Re-estimating BatchNorm on the target images before export gives mean r "
                   f"{fmt(vf)} (frozen) / {fmt(va)} (fine-tuned), against {fmt(ra)} / {fmt(rb)} at the paper's "
                   f"setting: it {verdict} here ({rec}). It is meant to score the model fine-tuning quickly makes "
                   "(fine-tuning re-estimates the statistics in its first steps); for frozen-head transfer, which "
                   "keeps the source statistics, it scores a model that is not the one transferred.")
    if "per-class" in var_tables and "OTCE" in var_tables["per-class"]:
        va = np.mean([var_tables["per-class"]["OTCE"][t]["finetune"]["pearson"] for t in T])
        vf = np.mean([var_tables["per-class"]["OTCE"][t]["frozen"]["pearson"] for t in T])
        verdict = "helps" if va > rb else "does not help"
        out.append(f"**--sampling per-class.** Mean r {fmt(vf)} (frozen) / {fmt(va)} (fine-tuned), against "
                   f"{fmt(ra)} / {fmt(rb)} uniform: on fine-tuning it {verdict} here.")
    # Which sources OTCE misjudged most, and what sets them apart.
    if "OTCE" in main:
        rows = []
        for t in T:
            x = np.asarray(main["OTCE"][t]["x"], float)
            y = np.asarray([res[(s, t)]["frozen_mean"] for s in S], float)
            ok = np.isfinite(x)
            if ok.sum() < 3 or np.ptp(x[ok]) == 0:
                continue
            rx = stats.rankdata(-x)
            ry = stats.rankdata(-y)
            worst = np.argsort(-np.abs(rx - ry))[:2]
            for i in worst:
                s = S[i]
                rows.append(f"{t}: {s} (family {fam[s]}, OTCE rank {rx[i]:.0f}, frozen-head rank {ry[i]:.0f}, "
                            f"zero-shot {res[(s, t)]['zeroshot']:.1f}, class-share L1 distance to the target "
                            f"{class_l1(work_of(scores), s, t):.2f})")
        if rows:
            out.append("**The sources OTCE misjudged most** (largest gap between OTCE's rank and the rank of "
                       "the frozen-head mIoU, two per target): " + "; ".join(rows) + ".")
        # Within one family.
        fa = [s for s in S if fam[s] == "A"]
        if len(fa) >= 4 and len(fa) < len(S):
            idx = [S.index(s) for s in fa]
            rr = []
            for a in ACC:
                v = [correlate(np.asarray(main["OTCE"][t]["x"])[idx], np.asarray(
                    [res[(s, t)][a + "_mean"] for s in fa]))["pearson"] for t in T]
                rr.append(float(np.nanmean(v)))
            out.append(f"**Family A alone** ({len(fa)} sources, one architecture): OTCE's mean r is {fmt(rr[0])} "
                       f"(frozen) / {fmt(rr[1])} (fine-tuned), against {fmt(ra)} / {fmt(rb)} over both families.")
    return out
