"""Whole-page damage applied after the ink: bleed-through, speckle and salt-and-pepper, blur,
sensor noise, photocopy and fax artefacts, scanner borders and JPEG; and :func:`degrade`, the
older one-call degradation used by the 300-dpi bench.

Every function takes and returns a float32 page in 0..1 and draws its randomness from ``rng``.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from docclean.synth.fields import crease_field, paper_texture, shadow_field, stain_field


def bleed_through(page: np.ndarray, back: np.ndarray, rng: np.random.Generator, strength: float | None = None
                  ) -> np.ndarray:
    """Show-through of the other side: ``back`` coverage, mirrored and blurred, darkens the page."""
    strength = float(rng.uniform(0.05, 0.3)) if strength is None else strength
    mirrored = cv2.GaussianBlur(back[:, ::-1].copy(), (0, 0), rng.uniform(0.8, 2.5))
    return page * (1.0 - strength * mirrored)


def salt_and_pepper(page: np.ndarray, rng: np.random.Generator, amount: float | None = None) -> np.ndarray:
    """Isolated black and white pixels (dust, sensor faults): ``amount`` of the pixels each."""
    amount = float(rng.uniform(0.0005, 0.01)) if amount is None else amount
    out = page.copy()
    u = rng.random(page.shape)
    out[u < amount] = rng.uniform(0.0, 0.3)
    out[u > 1 - amount / 2] = 1.0
    return out


def speckle(page: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Dark specks a few pixels wide (dirt, toner dust), scaled with the resolution."""
    h, w = page.shape
    n = max(1, int(rng.uniform(20, 200) * h * w / 1e6))
    mask = np.zeros((h, w), np.float32)
    for y, x, r, v in zip(rng.integers(0, h, n), rng.integers(0, w, n),
                          rng.uniform(0.5, 1.5, n) * dpi / 150, rng.uniform(0.3, 0.9, n)):
        cv2.circle(mask, (int(x), int(y)), max(1, int(round(r))), float(v), -1)
    return page * (1.0 - mask)


def photocopy(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photocopier look: a steeper tone curve (greys pushed apart), toner streaks and grit."""
    h, w = page.shape
    gamma = rng.uniform(1.2, 2.0)
    out = np.clip((page - 0.5) * rng.uniform(1.1, 1.5) + 0.5, 0, 1) ** gamma
    streaks = 1.0 - rng.uniform(0, 0.08) * (rng.random(w) < 0.01).astype(np.float32)[None, :]
    grit = (rng.random((h, w)) < 0.002).astype(np.float32) * rng.uniform(0.2, 0.6)
    return np.clip(out * streaks - grit, 0, 1).astype(np.float32)


def fax(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fax look: thresholded at low vertical resolution with jagged edges, then upsampled."""
    h, w = page.shape
    factor = float(rng.uniform(1.5, 2.5))
    small = cv2.resize(page, (w, max(2, int(h / factor))), interpolation=cv2.INTER_AREA)
    small = small + rng.normal(0, 0.06, small.shape).astype(np.float32)
    binary = (small > rng.uniform(0.45, 0.7)).astype(np.float32)
    out = cv2.resize(binary, (w, h), interpolation=cv2.INTER_NEAREST)
    return (0.05 + 0.9 * out).astype(np.float32)


def scanner_border(page: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A dark band where the scanner saw past the sheet's edge; returns the page and the band's
    mask (1 inside the band), so the clean target can show paper there."""
    h, w = page.shape
    mask = np.zeros((h, w), np.float32)
    side = int(rng.integers(4))
    depth = int(rng.uniform(0.01, 0.06) * (h if side < 2 else w)) + 1
    ramp = np.linspace(1, 0, depth, dtype=np.float32) ** rng.uniform(0.1, 0.5)
    tilt = rng.uniform(-0.02, 0.02)
    if side == 0:
        mask[:depth] = ramp[:, None]
    elif side == 1:
        mask[-depth:] = ramp[::-1, None]
    elif side == 2:
        mask[:, :depth] = ramp[None, :]
    else:
        mask[:, -depth:] = ramp[None, ::-1]
    if tilt:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(np.degrees(tilt)), 1.0)
        mask = cv2.warpAffine(mask, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    dark = rng.uniform(0.0, 0.25)
    return (page * (1 - mask) + dark * mask).astype(np.float32), mask


def blur(page: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Optical blur scaled with the resolution (a 300-dpi scan is a little soft)."""
    sigma = rng.uniform(0.2, 1.0) * dpi / 300
    return cv2.GaussianBlur(page, (0, 0), sigma) if sigma > 0.25 else page


def sensor_noise(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Additive Gaussian noise of a random level."""
    return page + rng.normal(0, rng.uniform(0.005, 0.04), page.shape).astype(np.float32)


def jpeg(page: np.ndarray, rng: np.random.Generator, quality: int | None = None) -> np.ndarray:
    """Round-trip through JPEG at ``quality`` (random 40..92 when None)."""
    quality = int(rng.integers(40, 93)) if quality is None else quality
    ok, buf = cv2.imencode(".jpg", (np.clip(page, 0, 1) * 255).round().astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255


def light_degrade(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A lightly degraded scan of a clean page (float32 0..1, H x W): paper a little grey, a soft
    shadow, one coffee stain, paper grain, slight blur and sensor noise (the benches of the
    engine's area steps: shaded boxes, pictures)."""
    h, w = clean.shape
    page = clean * rng.uniform(0.8, 0.92)
    page *= shadow_field(h, w, rng, strength=0.3)
    page *= stain_field(h, w, rng)
    page *= paper_texture(h, w, rng)
    page = cv2.GaussianBlur(page.astype(np.float32), (0, 0), rng.uniform(0.5, 1.0))
    page += rng.normal(0, 0.015, page.shape).astype(np.float32)
    return np.clip(page, 0, 1).astype(np.float32)


def degrade(clean: np.ndarray, rng: np.random.Generator, jpeg: bool = True) -> np.ndarray:
    """Degrade a clean page (float32 0..1, H x W): paper tint, shadow, stains, a crease, sensor
    noise, slight blur and optionally JPEG compression. Returns float32 0..1. (The 300-dpi bench's
    fixed recipe; training pages come from :func:`docclean.synth.pairs.make_pair`.)"""
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
