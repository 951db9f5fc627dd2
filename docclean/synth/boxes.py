"""Form boxes with writing in them, for training pages (``PairKind.boxes``).

A block of ruled cells (rows 0.2-0.8 inch high, with or without vertical rules) takes the place
of the page's other content in its part of the window, and most cells hold a few words written by
hand (pencil half of the time) or typed in. Some rows are shaded with a light, even tint, as
forms and tables often are. The target keeps the rules and the writing and clears the tint.

Why: a model that saw no writing between two rules learned to clear a faint layer there, as if
it were a shaded row (docs/cleaning.md, "Writing between rules"); this is the same scene with the
answer it should give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from docclean.synth.fonts import pick_font
from docclean.synth.ink import INKS, PEN_INKS, Ink
from docclean.synth.layout import WORDS

#: The chance that the writing in a block of boxes is pencil (else another pen's ink).
PENCIL = 0.5
#: The chance that a block has lightly shaded rows (each row then shaded with chance 0.5).
SHADED = 0.4


@dataclass(frozen=True)
class BoxLayer:
    """A block of form boxes on a window: ``region`` (y0, y1, x0, x1) is where the page's other
    content gives way to it; ``rules`` and ``writing`` are coverage maps (0 paper .. 1 ink) that
    get inks of their own; ``tint`` multiplies the noisy page (1 = none), never the target."""

    region: tuple[int, int, int, int]
    rules: np.ndarray
    writing: np.ndarray
    tint: np.ndarray


def form_boxes(h: int, w: int, dpi: int, rng: np.random.Generator) -> BoxLayer:
    """Draw a block of form boxes with writing in most of them on an ``h`` x ``w`` window at ``dpi``."""
    row_h = max(12, int(dpi * rng.uniform(0.2, 0.8)))
    rows = int(rng.integers(1, 6))
    bw = max(24, int(w * rng.uniform(0.5, 1.0)))
    bh = rows * row_h
    x0 = int(rng.uniform(0, max(1, w - bw)))
    y0 = int(rng.uniform(-0.3 * bh, max(1.0, h - 0.5 * bh)))
    cols = int(rng.integers(1, 5))
    lw = max(1, int(round(dpi / 150 * rng.uniform(0.5, 1.5))))
    rules, writing = Image.new("L", (w, h), 0), Image.new("L", (w, h), 0)
    draw_r, draw_w = ImageDraw.Draw(rules), ImageDraw.Draw(writing)
    xs = np.linspace(x0, x0 + bw, cols + 1).astype(int)
    ys = [y0 + r * row_h for r in range(rows + 1)]
    for yy in ys:
        draw_r.line([(x0, yy), (x0 + bw, yy)], fill=255, width=lw)
    if rng.random() < 0.7:  # boxes; else ruled lines only, as on a form's writing lines
        for xx in xs:
            draw_r.line([(int(xx), ys[0]), (int(xx), ys[-1])], fill=255, width=lw)
    hand = rng.random() < 0.75
    size = max(6, int(min(row_h * rng.uniform(0.3, 0.65), dpi * rng.uniform(0.1, 0.3))))  # 7-22 pt
    font = pick_font("hand" if hand else str(rng.choice(["mono", "sans"])), size, rng)
    for r in range(rows):
        for c in range(cols):
            if rng.random() < 0.8:
                cell_w = int(xs[c + 1] - xs[c])
                tx = int(xs[c]) + lw + int(cell_w * rng.uniform(0.02, 0.25))
                words = _fitting(draw_w, font, rng, int(xs[c + 1]) - lw - tx)
                ty = ys[r] + lw + int(max(0, row_h - 1.3 * size) * rng.uniform(0.1, 0.9))
                draw_w.text((tx, ty), words, fill=255, font=font)
    tint = np.ones((h, w), np.float32)
    if rng.random() < SHADED:  # shaded rows: a light, even fill the target does not keep
        shade = float(rng.uniform(0.05, 0.25))
        for r in range(rows):
            if rng.random() < 0.5:
                a, b = max(0, ys[r]), min(h, ys[r + 1])
                tint[a:b, max(0, x0):min(w, x0 + bw)] = 1.0 - shade
    pad = lw + 2
    region = (max(0, ys[0] - pad), min(h, ys[-1] + pad), max(0, x0 - pad), min(w, x0 + bw + pad))
    inside = np.zeros((h, w), bool)
    inside[region[0]:region[1], region[2]:region[3]] = True
    written = np.where(inside, np.asarray(writing, np.float32) / 255, 0).astype(np.float32)
    return BoxLayer(region, np.asarray(rules, np.float32) / 255, written, tint)


def _fitting(draw: ImageDraw.ImageDraw, font, rng: np.random.Generator, room: int) -> str:
    """One to three words that fit in ``room`` pixels (cut letter by letter if one word does not):
    what people write in a box stays in the box."""
    words = " ".join(str(rng.choice(WORDS)) for _ in range(int(rng.integers(1, 4))))
    while len(words) > 1 and draw.textlength(words, font=font) > room:
        words = words[:-1]
    return words.strip()


def writing_ink(rng: np.random.Generator) -> Ink:
    """The ink of the writing in the boxes: pencil with chance :data:`PENCIL`, else another pen's."""
    name = "pencil" if rng.random() < PENCIL else str(rng.choice([p for p in PEN_INKS if p != "pencil"]))
    return next(i for i in INKS if i.name == name)
