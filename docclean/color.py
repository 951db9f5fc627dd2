"""Putting colour back on a cleaned grey page (``color="keep"``).

The model cleans luminance. To give a page its colour back without its stains, each pixel gets
the cleaned luminance plus the original's chroma (its colour's offset from its own grey), weighted
by whichever of two reasons to keep it is stronger:

* **ink**: the cleaned page is dark there (coloured ink, stamps, signatures); chroma fades out as
  the cleaned page approaches white, so paper the model whitened comes out neutral white;
* **vivid colour**: the original is strongly coloured there (highlighter, coloured stamps on a
  light ground). Yellowed paper, stains and scanner casts are weakly coloured (their channel spread
  is at most about 0.27 of full scale), highlighter and stamp colours strongly (0.4 and more), so
  a ramp between ``VIVID_FROM`` and ``VIVID_FULL`` keeps the one and drops the other. Where the
  colour is vivid its own lightness comes back as well, so a highlighted band looks as scanned.
"""

from __future__ import annotations

import numpy as np

from docclean.pixels import luma

#: Where the cleaned page is this much darker than white, the ink's chroma is fully back.
CHROMA_FADE = 0.25
#: Channel spread (max - min, 0..1) under which colour counts as a cast, and over which as vivid.
VIVID_FROM, VIVID_FULL = 0.28, 0.38


def recolor(gray_clean: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Recombine a cleaned grey page (float 0..1) with the chroma of the original colour page
    (uint8 RGB); returns uint8 (H, W, 3) RGB."""
    if color.ndim != 3 or color.shape[2] != 3 or color.shape[:2] != gray_clean.shape:
        raise ValueError(f"shapes differ: grey {gray_clean.shape}, colour {color.shape}")
    out = np.empty(color.shape, dtype=np.uint8)
    # Row blocks keep the float temporaries small on full-size colour pages.
    step = max(1, 2_000_000 // max(1, color.shape[1]))
    for y in range(0, color.shape[0], step):
        rgb = color[y : y + step]
        gray = np.clip(np.nan_to_num(gray_clean[y : y + step].astype(np.float32), nan=1.0), 0, 1)
        rgbf = rgb.astype(np.float32) / np.float32(255.0)
        ink = np.clip((1.0 - gray) / np.float32(CHROMA_FADE), 0.0, 1.0)
        spread = rgbf.max(axis=2) - rgbf.min(axis=2)
        vivid = np.clip((spread - VIVID_FROM) / np.float32(VIVID_FULL - VIVID_FROM), 0.0, 1.0)
        # Where the colour is vivid the original's own lightness comes back too (never lighter than
        # the cleaned page), or a light highlighter band on whitened paper would clip to pastel.
        own = luma(rgb)
        chroma = rgbf - own[..., None]
        gray = gray + vivid * (np.minimum(gray, own) - gray)
        mixed = gray[..., None] + chroma * np.maximum(ink, vivid)[..., None]
        out[y : y + step] = np.rint(np.clip(mixed, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out
