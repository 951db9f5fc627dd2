"""The ink-loss guard on wide strokes, before and after its wide-stroke test
(``docclean.inkwide.wide_strokes``): does it see a wide stroke hollowed, and did it gain false alarms?

"Before" is ``docclean/inkloss.py`` at ``--before`` (git show; 9029644, the last commit without the
test), "after" the working tree's. Figures are shares of the page's strokes; the warning is 10%.

1. Synthetic pages (``wide_page``, ``--n`` of each kind, 150-600 dpi, windows 5 x 4 in): a page of
   text, tables and forms (``docclean.synth.layout``) with one to three wide items, a drop initial
   (60-200 pt) or a heading (60-120 pt) in a bold DejaVu face, black to mid-grey (ink 0.45-0.97),
   on aged paper with grain, shaded boxes (sharp, 0.45-0.9 of the paper, over text or empty), a
   shadow, stains, a crease, blur, noise and JPEG ("wide"); and the same pages without the wide
   items ("plain"). The target is the ink alone, black on white. The guard on the target (a perfect
   clean: wanted ~0), on the target with the wide items hollowed (ink deeper than ``--rim`` px
   turned to paper: wanted high), on the target with the other ink's left half erased (a kept
   initial must not dilute that) and on the shipped default model's clean (``clean_page``, default
   settings): pages over 10% before and after, and why each page whose warning changed did.
2. Dirty Documents (144 training pages), as they are and "bare" (the text under their coffee stains
   inpainted away: dark stains on blank paper, the hardest case for the test): the ground truth and
   the default model's clean.
3. The shared real scans (validation only, never tuned on): the default model's clean.
4. The guard's time on an A4 300-dpi page.

Cleaned pages are cached in ``--cache`` (the model's output does not depend on the guard).

    python bench/experiments/guard_wide.py [--n 40] [--cache /tmp/guard_wide] [--no-real]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from docclean import inkloss  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.synth import damage  # noqa: E402
from docclean.synth.fields import crease_field, lowres_field, paper_texture, shadow_field, stain_field  # noqa: E402
from docclean.synth.layout import render_layout  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FONTS = "/usr/share/fonts/truetype/dejavu/"
BOLD = ("DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf",
        "DejaVuSerifCondensed-Bold.ttf", "DejaVuSansMono-Bold.ttf")
WORDS = ("CHAPTER", "Index", "MENU", "Part", "NOTICE", "Acts", "BOOK", "Lot", "ONE", "Tax")
DPIS = (150, 200, 300, 400, 600)
WARN = 0.10
Guard = Callable[[np.ndarray, np.ndarray], float]
Clean = Callable[[np.ndarray], np.ndarray]


def wide_items(h: int, w: int, dpi: int, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Coverage (0..1) of one to three wide items and their boxes (x0, y0, x1, y1)."""
    img = Image.new("L", (w, h), 0)
    draw, boxes = ImageDraw.Draw(img), []
    for _ in range(int(rng.integers(1, 4))):
        face = FONTS + BOLD[int(rng.integers(len(BOLD)))]
        if rng.random() < 0.6:
            text, pt = chr(int(rng.integers(65, 91))), rng.uniform(60, 200)
        else:
            text, pt = str(rng.choice(WORDS))[: int(rng.integers(2, 8))], rng.uniform(60, 120)
        font = ImageFont.truetype(face, max(8, int(pt * dpi / 72)))
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        if x1 - x0 >= w or y1 - y0 >= h:
            continue
        x, y = int(rng.uniform(0, w - (x1 - x0))) - x0, int(rng.uniform(0, h - (y1 - y0))) - y0
        draw.text((x, y), text, fill=255, font=font)
        boxes.append((x + x0, y + y0, x + x1, y + y1))
    return np.asarray(img, np.float32) / 255, boxes


def wide_page(seed: int, dpi: int, wide: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(noisy page, target, the wide items' ink (bool), what it holds) of a page (see the module's
    docstring); ``wide=False``: the same page without its wide items."""
    rng = np.random.default_rng(seed)
    h, w = 5 * dpi, 4 * dpi
    main, extra = render_layout(h, w, dpi, rng)
    items, boxes = wide_items(h, w, dpi, rng)
    if not wide:
        items, boxes = np.zeros_like(items), []
    for x0, y0, x1, y1 in boxes:  # the text makes room for the initial or heading
        pad = int(0.05 * dpi)
        for layer in (main, extra):
            layer[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad] = 0
    text_ink, wide_ink = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.45, 0.97))  # wide: black to mid-grey
    paper = float(rng.uniform(0.7, 1))
    page = paper * paper_texture(h, w, rng, float(rng.uniform(0.0, 0.08)))
    grain = 0.85 + 0.3 * cv2.resize(rng.random((h // 16 + 2, w // 16 + 2)).astype(np.float32), (w, h))
    page = page * (1 - np.clip(main * text_ink, 0, 0.98)) * (1 - np.clip(extra * text_ink, 0, 0.98))
    page = page * (1 - np.clip(items * wide_ink * grain, 0, 0.98))
    notes = [f"wide ink {wide_ink:.2f}"]
    shade, boxes_n = np.ones((h, w), np.float32), int(rng.integers(0, 3)) if rng.random() < 0.6 else 0
    for _ in range(boxes_n):  # sharp-edged shaded boxes over whatever lies there
        bh, bw = int(rng.uniform(0.2, 1.2) * dpi), int(rng.uniform(0.5, 3.0) * dpi)
        y, x = int(rng.uniform(0, max(1, h - bh))), int(rng.uniform(0, max(1, w - bw)))
        shade[y:y + bh, x:x + bw] = rng.uniform(0.45, 0.9)
    if boxes_n:
        page, notes = page * shade, notes + [f"{boxes_n} shaded box(es)"]
    if rng.random() < 0.5:
        page, notes = page * lowres_field(shadow_field, h, w, rng), notes + ["shadow"]
    stains = int(rng.integers(1, 4)) if rng.random() < 0.6 else 0
    for _ in range(stains):
        page = page * lowres_field(stain_field, h, w, rng, factor=4)
    notes += [f"{stains} stain(s)"] if stains else []
    if rng.random() < 0.25:
        page, notes = page * crease_field(h, w, rng), notes + ["crease"]
    page = damage.sensor_noise(damage.blur(page.astype(np.float32), rng, dpi), rng)
    if rng.random() < 0.5:
        page = damage.jpeg(page, rng)
    truth = (1.0 - np.maximum(np.maximum(main, extra), items)).astype(np.float32)
    return np.clip(page, 0, 1).astype(np.float32), truth, items > 0.5, ", ".join(notes)


def hollowed(truth: np.ndarray, ink: np.ndarray, rim: int) -> np.ndarray:
    """``truth`` with ``ink`` deeper than ``rim`` px turned to paper: edges kept, inside gone."""
    out = truth.copy()
    out[cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5) > rim] = 1.0
    return out


def bare(noisy: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Dirty Documents page with the letters its stains touch inpainted away, and its truth without them."""
    stain = ((noisy < 0.7) & (truth > 0.9)).astype(np.uint8)
    stain = cv2.morphologyEx(stain, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    near = cv2.dilate(stain, np.ones((15, 15), np.uint8)).astype(bool)
    _, letters = cv2.connectedComponents((truth < 0.5).astype(np.uint8), connectivity=8)
    hit = np.unique(letters[near & (truth < 0.5)])
    hole = cv2.dilate(np.isin(letters, hit[hit > 0]).astype(np.uint8), np.ones((5, 5), np.uint8))
    page = cv2.inpaint((noisy * 255).astype(np.uint8), hole, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255
    return page, np.where(hole.astype(bool), np.float32(1.0), truth)


def guard_at(rev: str) -> Guard:
    """``ink_loss`` of ``docclean/inkloss.py`` as it was at git revision ``rev``."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:docclean/inkloss.py"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(f"/tmp/inkloss_{rev}.py")
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"inkloss_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ink_loss


def cleaner() -> Clean:
    """The shipped default model's clean of a grey page, as the batch writes it (grey)."""
    from docclean.onepage import clean_page, load_cleaner
    from docclean.pixels import Page
    from docclean.settings import CleanSettings

    settings = CleanSettings()
    model = load_cleaner(settings)
    return lambda page: clean_page(Page(page, None, None, 0), settings, model).cleaned


def cached(path: Path, make: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not path.exists():
        np.savez_compressed(path, **make())
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def table(rows: dict[str, list[tuple[float, float]]]) -> None:
    print("| pages: case | before: mean / median / max | after: mean / median / max | over 10%: before -> after |")
    print("|---|---|---|---|")
    for name, pairs in rows.items():
        b, a = np.array(pairs).T
        print(f"| {name} | {pct(b.mean())} / {pct(np.median(b))} / {pct(b.max())} | {pct(a.mean())} / "
              f"{pct(np.median(a))} / {pct(a.max())} | {int((b > WARN).sum())} -> {int((a > WARN).sum())} |")


def synthetic(cache: Path, n: int, rim: int, before: Guard, after: Guard, clean: Clean) -> None:
    rows: dict[str, list[tuple[float, float]]] = {}
    changed, missed, unseen = [], [], []
    for i in range(n):
        for kind in ("wide", "plain"):
            def make() -> dict[str, np.ndarray]:
                noisy, truth, ink, notes = wide_page(5000 + i, DPIS[i % len(DPIS)], kind == "wide")
                u8 = (np.clip(noisy, 0, 1) * 255 + 0.5).astype(np.uint8)
                return {"noisy": u8, "truth": (truth * 255 + 0.5).astype(np.uint8), "wide": ink, "notes": notes,
                        "dpi": DPIS[i % len(DPIS)], "cleaned": clean(u8.astype(np.float32) / 255).astype(np.float16)}
            z = cached(cache / f"{kind}-{i:03d}.npz", make)
            noisy, truth = z["noisy"].astype(np.float32) / 255, z["truth"].astype(np.float32) / 255
            ink, model = z["wide"], z["cleaned"].astype(np.float32)
            cases = {"target": truth, "default model's clean": model}
            if kind == "wide":
                cases["wide items hollowed"] = hollowed(truth, ink, rim)
                erased = truth.copy()
                erased[:, : truth.shape[1] // 2][~ink[:, : truth.shape[1] // 2]] = 1.0
                cases["other ink's left half erased"] = erased
            for case, out in cases.items():
                pair = (before(noisy, out), after(noisy, out))
                rows.setdefault(f"{kind}: {case}", []).append(pair)
                width = 2 * cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5).max()
                say = f"{kind}-{i:03d} ({int(z['dpi'])} dpi, {z['notes']}, widest stroke {width:.0f} px)"
                lost = float(np.mean(model[ink] > 0.6)) if ink.any() else 0.0
                if case == "default model's clean" and (pair[0] > WARN) != (pair[1] > WARN):
                    changed.append(f"{say}: {pct(pair[0])} -> {pct(pair[1])}; {pct(lost)} of its wide ink to paper")
                if case == "default model's clean" and lost > 0.3 and pair[1] <= WARN:
                    missed.append(f"{say}: {pct(pair[1])}; {pct(lost)} of its wide ink to paper")
                if case == "wide items hollowed" and pair[1] <= WARN:
                    unseen.append(f"{say}: {pct(pair[1])}; wide ink {pct(ink.sum() / max(1, (truth < 0.5).sum()))} "
                                  "of the page's")
    print(f"\n## Synthetic pages ({n} of each kind; hollowed: ink deeper than {rim} px turned to paper)\n")
    table(rows)
    print("\nDefault model's clean, pages whose warning changed:")
    print("\n".join(f"  {line}" for line in changed or ["none"]))
    print("\nDefault model's clean, pages that lost over 30% of their wide ink and are not over the warning after:")
    print("\n".join(f"  {line}" for line in missed or ["none"]))
    print("\nHollowed pages not over the warning after:")
    print("\n".join(f"  {line}" for line in unseen or ["none"]))


def pages(title: str, triples: list[tuple[str, np.ndarray, np.ndarray]], before: Guard, after: Guard) -> None:
    """Before and after on (name, page, cleaned): a summary and the pages that moved most."""
    figures = [(name, before(page, out), after(page, out)) for name, page, out in triples]
    b, a = np.array([f[1] for f in figures]), np.array([f[2] for f in figures])
    print(f"\n{title}: {len(figures)} pages; mean {pct(b.mean())} -> {pct(a.mean())}, max {pct(b.max())} -> "
          f"{pct(a.max())}; over 10%: {int((b > WARN).sum())} -> {int((a > WARN).sum())}")
    moved = sorted((f for f in figures if abs(f[2] - f[1]) >= 0.005), key=lambda f: f[1] - f[2])
    for name, fb, fa in moved[:10]:
        print(f"  {name}: {pct(fb)} -> {pct(fa)}")
    if len(moved) > 10:
        print(f"  ... {len(moved) - 10} more moved by 0.5 points or more")


def timing(before: Guard, after: Guard) -> None:
    from docclean.synth import degrade, render_page

    page = degrade(render_page(2480, 3508, dpi=300), np.random.default_rng(0))
    initial = page.copy()
    initial[400:1000, 300:420] *= 0.15  # an initial's stem and arm, 120 px wide
    initial[400:520, 300:800] *= 0.15
    print(f"\n## The guard's time, A4 300 dpi ({page.shape[1]} x {page.shape[0]}), median of 7, one thread\n")
    cv2.setNumThreads(1)
    for label, p in (("text page", page), ("text page with a wide initial", initial)):
        cleaned = np.clip(p / 0.8, 0, 1)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(7):  # in turn, so both see the same load on a shared machine
            for who, guard in (("before", before), ("after", after)):
                t = time.perf_counter()
                guard(p, cleaned)
                times[who].append(time.perf_counter() - t)
        print(f"  {label}: before {np.median(times['before']):.3f} s, after {np.median(times['after']):.3f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=40, help="synthetic pages of each kind")
    p.add_argument("--rim", type=int, default=6, help="px of a wide item's edge the hollowed target keeps")
    p.add_argument("--before", default="9029644", help="git revision of the guard before")
    p.add_argument("--cache", type=Path, default=Path("/tmp/guard_wide"))
    p.add_argument("--no-real", action="store_true", help="skip the shared real scans")
    a = p.parse_args()
    a.cache.mkdir(parents=True, exist_ok=True)
    before, after, models = guard_at(a.before), inkloss.ink_loss, []

    def clean(page: np.ndarray) -> np.ndarray:  # the model is loaded when a page is first not cached
        models.extend([] if models else [cleaner()])
        return models[0](page)

    synthetic(a.cache, a.n, a.rim, before, after, clean)
    dd = sorted((DATA / "dirty-documents" / "train").glob("*.png"))
    truths = {q.stem: (read_gray(q), read_gray(q.parent.parent / "train_cleaned" / q.name)) for q in dd}
    bares = {k: bare(*v) for k, v in truths.items()}
    print("\n## Dirty Documents")
    pages("ground truth", [(k, n, t) for k, (n, t) in truths.items()], before, after)
    pages("default model", [(k, n, cached(a.cache / f"dd-{k}.npz", lambda: {"cleaned": clean(n)})["cleaned"]
                             .astype(np.float32)) for k, (n, _) in truths.items()], before, after)
    pages("bare: ground truth", [(k, n, t) for k, (n, t) in bares.items()], before, after)
    pages("bare: default model", [(k, n, cached(a.cache / f"ddbare-{k}.npz", lambda: {"cleaned": clean(n)})["cleaned"]
                                   .astype(np.float32)) for k, (n, _) in bares.items()], before, after)
    if not a.no_real:
        print("\n## Shared real scans (validation only), default model")
        real = DATA / "real-scans"
        for name, sub in (("dibco-extra", "noisy"), ("funsd-train", "images"), ("sroie-train", "images")):
            triples = []
            for q in sorted((real / name / sub).iterdir()):
                page = read_gray(q)
                out = cached(a.cache / f"{name}-{q.stem}.npz", lambda: {"cleaned": clean(page)})["cleaned"]
                triples.append((q.name, page, out.astype(np.float32)))
            pages(name, triples, before, after)
    timing(before, after)


if __name__ == "__main__":
    main()
