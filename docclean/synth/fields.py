"""Smooth multiplicative damage fields (1 = untouched paper, lower = darker): shadows and uneven
light, coffee-ring stains, creases and folds, and paper texture.

Used as training augmentation on real scans (a shadow or stain laid over an already noisy page,
with the clean target unchanged) and by :mod:`docclean.synth.damage` on rendered pages.
"""

from __future__ import annotations

import cv2
import numpy as np


def shadow_field(h: int, w: int, rng: np.random.Generator, strength: float = 0.45) -> np.ndarray:
    """A smooth multiplicative field in (1-strength)..1: a tilted gradient plus a soft blob,
    like the shadow of a book's spine or an uneven scanner lid."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / max(w, 1) + np.sin(angle) * yy / max(h, 1))
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    sigma = rng.uniform(0.2, 0.6) * max(h, w)
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
    dark = rng.uniform(0.3, 1.0) * ramp ** rng.uniform(1.0, 3.0) + rng.uniform(0, 0.6) * blob
    return (1.0 - strength * np.clip(dark, 0, 1)).astype(np.float32)


def stain_field(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A multiplicative coffee-ring stain: a darker rim around a lightly tinted disc."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    radius = rng.uniform(0.1, 0.35) * min(h, w)
    dist = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) / radius
    rim = np.exp(-((dist - 1.0) ** 2) / (2 * 0.04**2))
    disc = (dist < 1.0).astype(np.float32)
    dark = rng.uniform(0.05, 0.2) * disc + rng.uniform(0.15, 0.4) * rim
    return (1.0 - np.clip(dark, 0, 0.8)).astype(np.float32)


def crease_field(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A multiplicative fold: a thin dark line with a soft shoulder across the page."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    offset = rng.uniform(0.2, 0.8) * (abs(np.cos(angle)) * w + abs(np.sin(angle)) * h)
    d = np.abs(np.cos(angle) * xx + np.sin(angle) * yy - offset)
    width = rng.uniform(1.0, 4.0) * max(h, w) / 1000
    dark = 0.35 * np.exp(-d / width) + 0.1 * np.exp(-d / (20 * width))
    return (1.0 - dark).astype(np.float32)


def paper_texture(h: int, w: int, rng: np.random.Generator, amount: float = 0.04) -> np.ndarray:
    """A multiplicative paper grain: band-limited noise (fibres and mottling) of about ``amount``."""
    fine = rng.normal(0, 1, (h, w)).astype(np.float32)
    fine = cv2.GaussianBlur(fine, (0, 0), rng.uniform(0.6, 1.5))
    small = rng.normal(0, 1, (max(2, h // 32), max(2, w // 32))).astype(np.float32)
    mottle = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    tex = 0.6 * fine / max(float(fine.std()), 1e-6) + 0.4 * mottle
    return np.clip(1.0 - amount * 0.5 * (tex + 1.0), 0.5, 1.0).astype(np.float32)


def lowres_field(fn, h: int, w: int, rng: np.random.Generator, factor: int = 8) -> np.ndarray:
    """Evaluate a smooth field ``fn(h, w, rng)`` at 1/``factor`` resolution and resize it up:
    the same look for a fraction of the cost on large pages."""
    small = fn(max(2, h // factor), max(2, w // factor), rng)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
