"""Inks, from black to faint: how rendered coverage becomes dark pixels on the noisy page, and how
dark the same strokes are on the clean target.

An ink is a luminance contrast (the share of the paper's brightness a full stroke absorbs, from
0.95 for black toner down to 0.10 for faded thermal print) plus a character: even (toner, ink),
grainy (pencil), fading across the page (thermal paper, old ink), or broken (worn ribbons, dry
pens). Coloured inks (brown, blue-black, a red stamp) matter here only through their luminance, so
each named ink is a contrast range. The clean target always shows the strokes that are on the
noisy page, darker than it is there (:func:`target_darkness`): the model learns to keep faint text
and strengthen it, never to erase it, while a faint stroke stays lighter than a black one. That
order matters: it lets the binarizer tell faint text on its own (the darkest thing on its page:
kept) from faint show-through, ruling or paper texture beside black text, and it keeps the model
from turning every faint mark on a real page into black ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Ink:
    """A kind of ink: the range of its contrast against the paper and its character."""

    name: str
    contrast: tuple[float, float]
    character: str = "even"  # even | grainy | fading | broken


INKS: tuple[Ink, ...] = (
    Ink("black", (0.75, 0.97)),
    Ink("grey", (0.35, 0.7)),
    Ink("brown", (0.3, 0.65), "fading"),
    Ink("blue-black", (0.45, 0.85)),
    Ink("pencil", (0.12, 0.45), "grainy"),
    Ink("thermal", (0.10, 0.4), "fading"),
    Ink("faint", (0.10, 0.25)),
    Ink("worn ribbon", (0.3, 0.8), "broken"),
)
INK_WEIGHTS = np.array([0.22, 0.12, 0.1, 0.1, 0.1, 0.12, 0.12, 0.12])
PEN_INKS = ("blue-black", "black", "brown", "pencil", "grey")


def pick_ink(rng: np.random.Generator, pen: bool = False) -> Ink:
    """A random ink; ``pen`` restricts the choice to what people write and stamp with."""
    if pen:
        name = PEN_INKS[int(rng.integers(len(PEN_INKS)))]
        return next(i for i in INKS if i.name == name)
    return INKS[int(rng.choice(len(INKS), p=INK_WEIGHTS / INK_WEIGHTS.sum()))]


def _smooth_noise(h: int, w: int, rng: np.random.Generator, cell: int) -> np.ndarray:
    small = rng.random((max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def thin_strokes(coverage: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Sometimes erode strokes (light type, hairlines at high dpi) by a pixel."""
    if dpi >= 200 and rng.random() < 0.3:
        return cv2.erode(coverage, np.ones((2, 2), np.uint8))
    return coverage


def target_darkness(contrast: float) -> float:
    """How dark (0..1) the clean target draws a stroke whose ink absorbs ``contrast`` of the paper's
    brightness: black and blue-black ink (contrast >= 0.5) become full black; a faint 10% stroke
    becomes 44% dark, about four times its contrast on the noisy page."""
    return float(min(1.0, 0.3 + 1.4 * contrast))


def ink_strength(coverage: np.ndarray, ink: Ink, rng: np.random.Generator, graded: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Turn coverage (0..1) into ``(absorb, target_cov)``: the share of paper brightness absorbed
    per pixel on the noisy page, and the darkness the clean target shows (coverage times
    :func:`target_darkness`; broken strokes stay broken: the target never asks the model to invent
    ink that is not on the page). ``graded=False`` draws every stroke full black, as sets rendered
    before the graded target did (kept so those sets and the models trained on them reproduce)."""
    h, w = coverage.shape
    contrast = float(rng.uniform(*ink.contrast))
    cov = coverage
    if ink.character == "broken" or rng.random() < 0.1:
        gaps = _smooth_noise(h, w, rng, int(rng.integers(2, 6))) > rng.uniform(0.15, 0.35)
        cov = cov * gaps
    strength = np.full((h, w), contrast, np.float32)
    if ink.character == "fading":
        fade = _smooth_noise(h, w, rng, max(8, min(h, w) // 3))
        strength *= (0.4 + 0.6 * fade)
    elif ink.character == "grainy":
        grain = rng.random((h, w)).astype(np.float32)
        strength *= (0.5 + 0.8 * grain)
    else:  # ink density varies a little along strokes
        strength *= (0.85 + 0.3 * _smooth_noise(h, w, rng, 16))
    absorb = np.clip(cov * strength, 0, 0.98)
    return absorb.astype(np.float32), (cov * (target_darkness(contrast) if graded else 1.0)).astype(np.float32)


#: The faintest a faded stretch of uneven ink gets: 5% of the paper's brightness absorbed, about
#: what a pen running dry leaves in a historical letter. Fainter would ask the model to restore
#: strokes that sensor noise hides.
UNEVEN_FLOOR = 0.05


def uneven_ink(absorb: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Dip-pen and faded manuscript ink: the density changes from stroke to stroke, at the scale
    of a letter (the pen runs dry, the ink faded unevenly), so part of a word may keep a tenth of
    the contrast of the rest, down to :data:`UNEVEN_FLOOR`, and the ink has spread into the paper
    (soft edges). Applied to the noisy page's ``absorb`` only: the target keeps the whole stroke
    at the ink's darkness, so the model learns to restore a faded stretch of a word, not drop it."""
    h, w = absorb.shape
    strokes = absorb[absorb > 0.02]
    if strokes.size == 0:
        return absorb
    contrast = float(np.percentile(strokes, 75))
    cell = max(4, round(float(rng.uniform(8, 24)) * dpi / 300))
    field = _smooth_noise(h, w, rng, cell)
    low = float(rng.uniform(0.08, 0.35))
    gain = low + (1 - low) * np.clip((field - 0.25) / 0.5, 0, 1)
    gain = np.maximum(gain, min(1.0, UNEVEN_FLOOR / max(contrast, 1e-3)))
    out = absorb * gain.astype(np.float32)
    sigma = float(rng.uniform(0.4, 1.2)) * dpi / 300
    return cv2.GaussianBlur(out, (0, 0), sigma).astype(np.float32)
