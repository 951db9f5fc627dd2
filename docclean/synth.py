"""Synthetic degradation of clean pages: shadows, stains, creases, noise, blur and JPEG.

Used two ways: as training augmentation (a shadow or stain laid over an already noisy scan, with
the clean target unchanged, teaches the model what the 540-pixel training pages never show) and to
build test pages at 300 dpi (a rendered page of text, then degraded) for checking the model at the
resolution real scanners produce.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont


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


def degrade(clean: np.ndarray, rng: np.random.Generator, jpeg: bool = True) -> np.ndarray:
    """Degrade a clean page (float32 0..1, H x W): paper tint, shadow, stains, a crease, sensor
    noise, slight blur and optionally JPEG compression. Returns float32 0..1."""
    h, w = clean.shape
    page = clean * rng.uniform(0.75, 0.95) + rng.uniform(0.0, 0.05)
    page = page * shadow_field(h, w, rng)
    for _ in range(rng.integers(1, 4)):
        page = page * stain_field(h, w, rng)
    page = page * crease_field(h, w, rng)
    sigma = rng.uniform(0.3, 1.2) * max(h, w) / 1500
    page = cv2.GaussianBlur(page.astype(np.float32), (0, 0), sigma)
    page = page + rng.normal(0, rng.uniform(0.01, 0.04), page.shape).astype(np.float32)
    page = np.clip(page, 0, 1)
    if jpeg:
        buf = io.BytesIO()
        Image.fromarray((page * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=int(rng.integers(60, 90)))
        page = np.asarray(Image.open(buf), dtype=np.float32) / 255
    return page.astype(np.float32)


LOREM = (
    "Scanned pages come out of offices and archives stained, creased, shadowed and grey. "
    "A denoiser must keep every stroke of every letter while it whitens the paper around it. "
    "The quick brown fox jumps over the lazy dog 0123456789. Invoice No. 4711, dated 21 May; "
    "total amount due within thirty days of receipt. Please quote the reference on all replies."
)


def render_page(width: int = 2480, height: int = 3508, dpi: int = 300, text: str = LOREM,
                font_pt: float = 11.0) -> np.ndarray:
    """Render black text on a white page (float32 0..1), letters sized as ``font_pt`` at ``dpi``:
    a stand-in for a real 300-dpi scan of a printed page."""
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    size = max(int(round(font_pt * dpi / 72)), 6)
    font = ImageFont.load_default(size=size)
    margin, line_h = int(dpi * 0.8), int(size * 1.45)
    words = (text + " ") * 200
    x, y = margin, margin
    for word in words.split(" "):
        wlen = draw.textlength(word + " ", font=font)
        if x + wlen > width - margin:
            x, y = margin, y + line_h
            if y + line_h > height - margin:
                break
        draw.text((x, y), word, fill=0, font=font)
        x += int(wlen)
    return np.asarray(img, dtype=np.float32) / 255
