"""Experiment behind ``docclean.widestrokes`` (2026-12): wide strokes in one part of a page (a large
coloured initial, a bold heading) that the network hollowed, and the shrunk second clean of just
that part that fills them.

Synthetic pages only (never the real scans): a window of text (``docclean.synth.layout``) with a
bold letter or heading of 60-200 pt drawn over a cleared corner, in grey levels from black to
mid-grey and in red, blue and brown as the engine reads colour (luma), at 150-600 dpi, as a
clean scan (paper 0.9, a slight blur) and degraded (``docclean.synth.degrade``: shadow, stains,
a crease, noise, blur, JPEG). Each is cleaned with the default model without the new step
("before") and with it ("after"); "inside lost" is the share of the letter's inner pixels (its
mask eroded by 2) that came out lighter than halfway from its grey to the paper, and "changed
outside" counts pixels more than 3 px from the letter that moved by more than 0.1.

Then pages without wide strokes, before and after: the synthetic training-style pages (seeds
3000 and 4000), the Dirty Documents training pages, the sample scans, A4 300-dpi degraded text
pages, sharp-edged blots of one grey over text or in a blank margin, and pages built to tempt the
step (dark stains, a wide letter showing through from the other side, empty grey boxes and bars,
a gutter shadow); on the synthetic ones, whether what changed moved towards the clean target. And
the wide ink lost on bench/experiments/guard_wide.py's pages (made by others, for the ink-loss
guard), and the cost on A4 300-dpi pages. About 30 minutes on 2 cores (--quick: about 12).

    python bench/experiments/wide_strokes.py [--quick] [--skip initials headings ordinary independent cost]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import docclean.engine as engine  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.pixels import LUMA  # noqa: E402
from docclean.progress import TileProgress  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402
from docclean.synth.layout import render_layout  # noqa: E402
from docclean.synth.pairs import write_pairs  # noqa: E402
from docclean.widestrokes import fill_hollowed, hollowed_strokes  # noqa: E402

FONTS = {"serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
         "sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"}
#: Ink as the engine reads it: grey, or an RGB colour's luma.
TONES = {"black": 0.05, "grey 0.40": 0.40, "grey 0.55": 0.55,
         "red": float(LUMA @ np.array([190, 45, 35], np.float32)) / 255,
         "blue": float(LUMA @ np.array([35, 55, 165], np.float32)) / 255,
         "brown": float(LUMA @ np.array([130, 75, 35], np.float32)) / 255}
SHARED = ROOT.parent / "shared/data"


def _coverage(h: int, w: int, text: str, pt: float, dpi: int, font: str, at: tuple[int, int]) -> np.ndarray:
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text(at, text, fill=255, font=ImageFont.truetype(FONTS[font], int(round(pt * dpi / 72))))
    return np.asarray(img, np.float32) / 255


def lettered_page(dpi: int, pt: float, tone: float, degraded: bool, seed: int, text: str = "R",
                  font: str = "serif") -> tuple[np.ndarray, np.ndarray]:
    """(page, the letter's coverage): a 4.5-inch window of text with ``text`` in bold at ``pt``
    over a cleared corner, its ink at ``tone`` of the paper."""
    h = w = int(4.5 * dpi)
    body, _ = render_layout(h, w, dpi, np.random.default_rng(seed + 100))
    cov = _coverage(h, w, text, pt, dpi, font, (int(0.3 * dpi), int(0.2 * dpi)))
    ys, xs = np.nonzero(cov > 0)
    pad = dpi // 10
    body[max(0, ys.min() - pad):ys.max() + pad, max(0, xs.min() - pad):xs.max() + pad] = 0  # a drop cap's corner
    clean = (1 - body * 0.92) * (1 - cov * (1 - tone))
    if degraded:
        page = degrade(clean.astype(np.float32), np.random.default_rng(seed))
    else:
        page = cv2.GaussianBlur((clean * 0.9).astype(np.float32), (0, 0), 0.7)
    return page.astype(np.float32), cov


def inside_lost(cleaned: np.ndarray, cov: np.ndarray, tone: float) -> float:
    """The share of the letter's inner pixels lighter than halfway from its grey to the paper."""
    inside = cv2.erode((cov > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return float((cleaned[inside] > (tone + 1) / 2).mean())


def changed_outside(before: np.ndarray, after: np.ndarray, cov: np.ndarray | None = None) -> int:
    """Pixels (more than 3 px from the letter, when there is one) that moved by more than 0.1."""
    moved = np.abs(after - before) > 0.1
    if cov is not None:
        moved &= ~cv2.dilate((cov > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    return int(moved.sum())


def both(den: Denoiser, page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page cleaned without the new step and with it."""
    engine.hollowed_strokes = lambda *args, **kwargs: []
    try:
        before = den.clean(page)
    finally:
        engine.hollowed_strokes = hollowed_strokes
    return before, den.clean(page)


def initials(den: Denoiser, dpis: list[int], pts: list[int]) -> None:
    print("\n## Wide letters on a page of text: inside lost, before -> after\n")
    cols = [(dpi, pt) for dpi in dpis for pt in pts]
    print("| ink | scan | " + " | ".join(f"{dpi} dpi {pt} pt" for dpi, pt in cols) + " | changed outside (px, all) |")
    print("|---|---|" + "---|" * (len(cols) + 1))
    totals = {"before": [], "after": []}
    for name, tone in TONES.items():
        for degraded in (False, True):
            cells, outside = [], 0
            for i, (dpi, pt) in enumerate(cols):
                page, cov = lettered_page(dpi, pt, tone, degraded, seed=i, font="serif" if i % 2 == 0 else "sans")
                before, after = both(den, page)
                b, a = inside_lost(before, cov, tone), inside_lost(after, cov, tone)
                totals["before"].append(b)
                totals["after"].append(a)
                cells.append(f"{b:.0%} -> {a:.0%}")
                outside += changed_outside(before, after, cov)
            print(f"| {name} ({tone:.2f}) | {'degraded' if degraded else 'clean'} | " + " | ".join(cells)
                  + f" | {outside} |", flush=True)
    n = len(totals["before"])
    print(f"\n{n} pages: inside lost mean {np.mean(totals['before']):.1%} -> {np.mean(totals['after']):.1%}, "
          f"worst {max(totals['before']):.1%} -> {max(totals['after']):.1%}; pages losing > 5%: "
          f"{sum(v > 0.05 for v in totals['before'])} -> {sum(v > 0.05 for v in totals['after'])}")
    print("\nstroke widths (px): 60 pt bold is ~40 at 300 dpi, ~20 at 150 dpi; 200 pt ~150 at 300 dpi")


def headings(den: Denoiser, dpis: list[int]) -> None:
    print("\n## Bold headings (a line of words), inside lost, before -> after\n")
    print("| ink | scan | " + " | ".join(f"{dpi} dpi {pt} pt" for dpi in dpis for pt in (60, 96)) + " |")
    print("|---|---|" + "---|" * (2 * len(dpis)))
    for name in ("black", "grey 0.55", "red", "blue"):
        for degraded in (False, True):
            cells = []
            for dpi in dpis:
                for pt in (60, 96):
                    page, cov = lettered_page(dpi, pt, TONES[name], degraded, seed=dpi + pt, text="Wide Heading",
                                              font="sans")
                    before, after = both(den, page)
                    cells.append(f"{inside_lost(before, cov, TONES[name]):.0%} -> "
                                 f"{inside_lost(after, cov, TONES[name]):.0%}")
            print(f"| {name} | {'degraded' if degraded else 'clean'} | " + " | ".join(cells) + " |", flush=True)


def tempting_pages(seed: int = 7) -> dict[str, np.ndarray]:
    """300-dpi text pages (3.5 x 3.5 in) with things the step must leave to the network."""
    rng = np.random.default_rng(seed)
    h = w = 1050
    body, _ = render_layout(h, w, 300, np.random.default_rng(seed))
    text = (1 - body * 0.92).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pages = {}
    blots = np.ones((h, w), np.float32)
    for cy, cx, r, sigma, depth in ((300, 300, 90, 6, 0.5), (700, 650, 120, 12, 0.6), (250, 800, 60, 4, 0.4)):
        shape = ((yy - cy) ** 2 / 1.6 + (xx - cx) ** 2 < r * r).astype(np.float32)
        blots *= 1 - depth * cv2.GaussianBlur(shape, (0, 0), sigma)
    pages["soft dark stains (depth 0.4-0.6)"] = text * blots * 0.9
    back = _coverage(h, w, "R", 150, 300, "serif", (300, 100))[:, ::-1]
    pages["a wide letter showing through"] = text * (1 - 0.3 * cv2.GaussianBlur(back, (0, 0), 3)) * 0.9
    boxes = np.ones((h, w), np.float32)
    boxes[150:400, 500:950] = 0.55  # an empty grey box
    for i, top in enumerate((700, 600, 800)):  # bars of a chart
        boxes[top:1000, 120 + 150 * i:220 + 150 * i] = 0.5
    pages["empty grey box and chart bars (0.5)"] = cv2.GaussianBlur(text * boxes * 0.9, (0, 0), 0.7)
    gutter = 1 - 0.6 * np.exp(-xx / 60)
    pages["gutter shadow"] = text * gutter * 0.9
    pages["degraded text (degrade)"] = degrade(text, rng)
    return {k: np.clip(v, 0, 1).astype(np.float32) for k, v in pages.items()}


def blot_pages() -> dict[str, np.ndarray]:
    """Text pages (3 x 3 in) with a sharp-edged blot of one grey, over the text or beside it: a
    drop of ink or a stain with a crisp edge, which the network outlines and the step must leave
    to it (filled, it hid the words under it)."""
    pages = {}
    for i, dpi in enumerate((150, 300, 600)):
        h = w = 3 * dpi
        body, _ = render_layout(h, w, dpi, np.random.default_rng(50 + i))
        text = (1 - body * 0.92).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = 0.25 * dpi
        for shape in ("round", "irregular"):
            if shape == "round":
                blot = (yy - 1.5 * dpi) ** 2 / 1.3 + (xx - 1.5 * dpi) ** 2 < r * r
            else:
                blot = np.zeros((h, w), bool)
                for dy, dx, s in ((0, 0, 1.0), (0.6, 0.5, 0.7), (-0.5, 0.7, 0.55), (0.4, -0.8, 0.5)):
                    blot |= (yy - 1.5 * dpi - dy * r) ** 2 + (xx - 1.5 * dpi - dx * r) ** 2 < (s * r) ** 2
            for tone in (0.35, 0.5, 0.65):
                for where in ("over text", "in a blank margin"):
                    under = text if where == "over text" else np.ones_like(text)
                    page = under * (1 - (1 - tone) * blot.astype(np.float32)) * 0.9
                    pages[f"{dpi} dpi, {shape}, {tone}, {where}"] = cv2.GaussianBlur(page, (0, 0), 0.8 * dpi / 300)
    return pages


def ordinary(den: Denoiser, quick: bool) -> None:
    print("\n## Pages without wide strokes: output before -> after\n")
    print("| pages | count | step fired | pages changed (> 1/255) | pixels moved > 0.1 | largest change |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        sets: dict[str, list] = {}
        for seed in (3000, 4000):
            folder = Path(tmp) / str(seed)
            write_pairs(folder, 16 if quick else 56, seed=seed, workers=2)
            sets[f"synthetic (seed {seed})"] = sorted((folder / "noisy").glob("*.png"))
        dirty = sorted((SHARED / "dirty-documents/train").glob("*.png"))
        sets["Dirty Documents train"] = dirty[:30] if quick else dirty
        sets["samples/scans"] = sorted(p for p in (ROOT / "samples/scans").glob("*") if p.suffix.lower() in
                                       {".png", ".jpg", ".tif", ".tiff"})
        a4 = render_page()
        sets["A4 300 dpi, degraded"] = [degrade(a4, np.random.default_rng(s)) for s in range(1 if quick else 3)]
        notes = []
        sets["sharp-edged blots (3 dpi x 2 shapes x 3 greys x over text or not)"] = list(blot_pages().values())
        for title, pages in list(sets.items()) + [(k, [v]) for k, v in tempting_pages().items()]:
            fired = changed = moved = 0
            largest = 0.0
            for page in pages:
                name = page.name if isinstance(page, Path) else title
                truth = _truth(page)
                page = read_gray(page) if isinstance(page, Path) else page
                before, after = both(den, page)
                # on the finished page, not the network's own: close enough to count where it fires
                fired += bool(hollowed_strokes(network_page(page, True), before))
                diff = np.abs(after - before)
                changed += bool((diff > 1 / 255).any())
                moved += int((diff > 0.1).sum())
                largest = max(largest, float(diff.max()))
                if (diff > 1 / 255).any():
                    notes.append(_note(name, before, after, truth))
            print(f"| {title} | {len(pages)} | {fired} | {changed} | {moved} | {largest:.2f} |", flush=True)
        print("\npages the step changed:\n")
        for note in notes:
            print(f"- {note}")


def _truth(page: np.ndarray | Path) -> np.ndarray | None:
    """A synthetic pair's clean target (the noisy page's twin under clean/), else None."""
    if isinstance(page, Path) and page.parent.name == "noisy":
        twin = page.parent.parent / "clean" / page.name
        if twin.exists():
            return read_gray(twin)
    return None


def _note(name: str, before: np.ndarray, after: np.ndarray, truth: np.ndarray | None) -> str:
    """What the step changed on a page, and (synthetic pages) whether towards the clean target."""
    changed = np.abs(after - before) > 1 / 255
    note = f"{name}: {int(changed.sum())} px changed, by {float(np.abs(after - before)[changed].mean()):.2f} on average"
    if truth is not None:
        ink = truth[changed] < 0.5
        error = [float(np.abs(out - truth)[changed].mean()) for out in (before, after)]
        note += f"; of them {ink.mean():.0%} ink in the target; mean error there {error[0]:.2f} -> {error[1]:.2f}"
    return note


def cost(den: Denoiser, rounds: int) -> None:
    print("\n## Cost on A4 300-dpi pages (2480 x 3508)\n")
    print("| page | search ms (median) | second clean of the part ms | whole clean s, without -> with the step |")
    print("|---|---|---|---|")
    a4 = render_page()
    cov = _coverage(*a4.shape, "R", 120, 300, "serif", (240, 240))
    lettered = a4.copy()
    lettered[200:800, 200:900] = 1  # a drop cap's corner
    lettered *= 1 - cov * (1 - TONES["red"])
    pages = {"text, lightly scanned": cv2.GaussianBlur(a4 * np.float32(0.9), (0, 0), 0.7),
             "text, degraded (stains, shadow, crease)": degrade(a4, np.random.default_rng(0)),
             "text with a 120-pt red initial, degraded": degrade(lettered, np.random.default_rng(0))}
    for title, page in pages.items():
        flat = network_page(page, True)
        before, after = both(den, page)
        search = []
        for _ in range(5):
            t = time.perf_counter()
            strokes = hollowed_strokes(flat, before)
            search.append(time.perf_counter() - t)
        t = time.perf_counter()
        if strokes:
            again = lambda part: den._clean_part(part, TileProgress())  # noqa: E731
            fill_hollowed(flat, before.copy(), strokes, den.max_stroke, again)
        second = time.perf_counter() - t
        whole = {False: [], True: []}
        for _ in range(rounds):
            for on in (False, True):
                if not on:
                    engine.hollowed_strokes = lambda *args, **kwargs: []
                t = time.perf_counter()
                den.clean(page)
                whole[on].append(time.perf_counter() - t)
                engine.hollowed_strokes = hollowed_strokes
        print(f"| {title} | {1000 * np.median(search):.0f} | {1000 * second:.0f} | "
              f"{np.median(whole[False]):.2f} -> {np.median(whole[True]):.2f} |", flush=True)
    print("\n(the whole-clean times are medians of a few runs on a shared 2-core CPU: noise of a few tenths)")


def independent(den: Denoiser) -> None:
    """The pages of bench/experiments/guard_wide.py (made for the ink-loss guard, not for this step):
    share of the wide items' ink that came out lighter than 0.6, as that script counts it."""
    from bench.experiments.guard_wide import DPIS, wide_page

    print("\n## bench/experiments/guard_wide.py's 40 pages with wide items: wide ink to paper\n")
    rows = []
    for i in range(40):
        noisy, _, ink, _ = wide_page(5000 + i, DPIS[i % len(DPIS)])
        if ink.any():
            before, after = both(den, (np.clip(noisy, 0, 1) * 255 + 0.5).astype(np.uint8))
            rows.append((float(np.mean(before[ink] > 0.6)), float(np.mean(after[ink] > 0.6))))
    b, a = np.array(rows).T
    print(f"{len(rows)} pages: mean {b.mean():.1%} -> {a.mean():.1%}, median {np.median(b):.1%} -> "
          f"{np.median(a):.1%}, max {b.max():.1%} -> {a.max():.1%}; pages over 10%: {(b > 0.1).sum()} -> "
          f"{(a > 0.1).sum()}, over 30%: {(b > 0.3).sum()} -> {(a > 0.3).sum()}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer pages (150 and 300 dpi; 16+16+30 ordinary pages)")
    p.add_argument("--skip", nargs="*", default=[], choices=["initials", "headings", "ordinary", "independent", "cost"])
    a = p.parse_args()
    den = Denoiser.load("default")
    dpis = [150, 300] if a.quick else [150, 300, 600]
    if "initials" not in a.skip:
        initials(den, dpis, [60, 120, 200])
    if "headings" not in a.skip:
        headings(den, dpis)
    if "ordinary" not in a.skip:
        ordinary(den, a.quick)
    if "independent" not in a.skip:
        independent(den)
    if "cost" not in a.skip:
        cost(den, 2 if a.quick else 5)


if __name__ == "__main__":
    main()
