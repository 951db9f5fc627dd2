"""Page pixels in memory: the :class:`Page` record the readers yield and the conversions between
the array kinds io accepts (float grey, uint8 RGB, bool bi-level) and 8-bit PIL images, and how
the engine reads a grey array of any type (:func:`page_values`).

Kept apart from ``io.py`` so that the raster and PDF modules can share it without importing each
other or the public facade."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from docclean.errors import UsageError

#: Largest page, in pixels, that io will decode (a decompression-bomb guard; 300 Mpx is an A0
#: sheet at 600 dpi). Larger pages raise InputError before any pixel data is decoded.
MAX_PIXELS: int = 300_000_000

# ITU-R BT.601 luma weights: what "grey" means everywhere in docclean.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class Page:
    """One decoded page of an input file."""

    gray: np.ndarray
    """float32 (H, W) luminance in 0..1 (0 black, 1 white): what the model cleans."""
    color: np.ndarray | None
    """uint8 (H, W, 3) RGB when the source page had colour, else None."""
    dpi: tuple[float, float] | None
    """Resolution of the source page (x, y) in dots per inch, if known."""
    index: int
    """0-based page number within the file."""


def as_float(page: np.ndarray) -> np.ndarray:
    """A grey page as float32 0..1: unsigned integers scaled over their type's range (uint8 / 255,
    uint16 / 65535, as :func:`page_values` reads them; a new array), bool as 0 and 1,
    float taken as it is (contiguous; the array itself where it already is)."""
    if page.dtype == np.uint8:
        return page.astype(np.float32) / 255.0
    if page.dtype.kind == "u":
        return page.astype(np.float32) / np.float32(np.iinfo(page.dtype).max)
    return np.ascontiguousarray(page, dtype=np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 (H, W, 3) RGB array as float32 (H, W) in 0..1."""
    # Row by row keeps the float temporaries small for large colour pages.
    out = np.empty(rgb.shape[:2], dtype=np.float32)
    step = max(1, 4_000_000 // max(1, rgb.shape[1]))
    for y in range(0, rgb.shape[0], step):
        out[y : y + step] = rgb[y : y + step].astype(np.float32) @ (LUMA / 255.0)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def is_gray_rgb(rgb: np.ndarray) -> bool:
    """True when all three channels of ``rgb`` are equal everywhere (a colour-mode grey page)."""
    # A coarse subsample rejects real colour pages almost for free; only pages that pass it pay
    # for the full comparison.
    sample = rgb[::17, ::13]
    if not (np.array_equal(sample[..., 0], sample[..., 1])
            and np.array_equal(sample[..., 1], sample[..., 2])):
        return False
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


def split_rgb(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(gray, color) of a uint8 RGB page; ``color`` is None when the page is actually grey."""
    rgb = np.ascontiguousarray(rgb)
    if is_gray_rgb(rgb):
        return rgb[..., 0].astype(np.float32) / np.float32(255.0), None
    return luma(rgb), rgb


def to_pil(pixels: np.ndarray) -> Image.Image:
    """PIL image for one page to write: float (H, W) 0..1 -> "L", uint8 (H, W) -> "L",
    uint8 (H, W, 3) -> "RGB", bool (H, W) -> "1" (True = white, like grey >= 0.5).

    Raises ValueError for any other array: that is a programming error, not a file problem."""
    if not isinstance(pixels, np.ndarray):
        raise ValueError(f"page pixels must be a numpy array, not {type(pixels).__name__}")
    if pixels.ndim == 2 and pixels.dtype == np.bool_:
        return Image.fromarray(np.ascontiguousarray(pixels)).convert("1")
    if pixels.ndim == 2 and np.issubdtype(pixels.dtype, np.floating):
        # One float temporary, worked on in place: a 600-dpi page is 140 MB per float copy.
        scaled = np.multiply(pixels, 255.0, dtype=np.float32)
        # fmin/fmax pass NaN's other operand through: NaN and +inf become paper, -inf ink, in
        # two passes (nan_to_num then clip took six).
        np.fmin(scaled, np.float32(255.0), out=scaled)
        np.fmax(scaled, np.float32(0.0), out=scaled)
        np.rint(scaled, out=scaled)
        return Image.fromarray(scaled.astype(np.uint8))
    if pixels.ndim == 2 and pixels.dtype == np.uint8:
        return Image.fromarray(np.ascontiguousarray(pixels))
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype == np.uint8:
        return Image.fromarray(np.ascontiguousarray(pixels))
    raise ValueError(
        f"unsupported page array {pixels.dtype} {pixels.shape}: expected float (H,W) 0..1, "
        "uint8 (H,W,3) RGB or bool (H,W)"
    )


#: How far a float page may stray outside 0..1 and still be read as 0..1 (as it is, unclipped):
#: rounding and resampling overshoot a little. The file reader reads a float page up to 2 as 0..1
#: too (``docclean.imagefile.float_gray``); further out the page was meant in another range.
_FLOAT_SLACK = (-1.0, 2.0)


def page_values(page: np.ndarray) -> np.ndarray:
    """A grey (H, W) page of any numeric type as the contiguous float32 page the engine cleans.

    - float: 0..1, passed on as it is (values between -1 and 2 too: overshoot of a 0..1 page);
      NaN and +inf become paper (1), -inf ink (0), as the file reader reads them. A page further
      outside is refused rather than guessed: 0..255 and 0..65535 pages stored as float look
      alike when dark, and a wrong guess cleans to a blank page.
    - unsigned integers: over their type's whole range (uint8 / 255, uint16 / 65535, ...).
    - bool: False black, True white.
    - signed integers: refused. They hold no one range (Pillow's 32-bit mode holds 16-bit grey,
      numpy's default integer whatever it was given); convert to uint8, uint16 or float 0..1.

    UsageError for an empty page and for the refusals above."""
    if page.size == 0:
        raise UsageError(f"the page is empty ({page.shape[0]} x {page.shape[1]} pixels)")
    kind = page.dtype.kind
    if kind == "b":
        return page.astype(np.float32)
    if kind == "u":
        if page.dtype == np.uint8:  # the exact arithmetic pages were always given
            return page.astype(np.float32) / 255.0
        # As the file reader scales 16-bit scans (docclean.imagefile.to_gray_color).
        return page.astype(np.float32) / np.float32(np.iinfo(page.dtype).max)
    if kind == "i":
        raise UsageError(f"pixel type {page.dtype} has no one range of grey levels: give uint8 (0..255), "
                         f"uint16 (0..65535) or float (0..1) pages")
    if kind != "f":
        raise UsageError(f"pixel type {page.dtype} is not a grey level: give uint8, uint16 or float (0..1) pages")
    if page.dtype.itemsize > 4:  # checked before float32 makes 1e40 infinity, which is paper
        finite = page[np.isfinite(page)]
        if finite.size and (finite.min() < _FLOAT_SLACK[0] or finite.max() > _FLOAT_SLACK[1]):
            raise UsageError(f"float pixel values must lie in 0..1, found {finite.min():g}..{finite.max():g} "
                             "(divide a 0..255 page by 255, a 0..65535 page by 65535)")
    page = np.ascontiguousarray(page, dtype=np.float32)
    low, high = float(page.min()), float(page.max())  # NaN or infinity shows in one of them
    if not (np.isfinite(low) and np.isfinite(high)):
        # A copy: the caller's page is left as it is.
        page = np.nan_to_num(page, nan=1.0, posinf=1.0, neginf=0.0)
        low, high = float(page.min()), float(page.max())
    if low < _FLOAT_SLACK[0] or high > _FLOAT_SLACK[1]:
        raise UsageError(f"float pixel values must lie in 0..1, found {low:g}..{high:g} (divide a 0..255 page "
                         f"by 255, a 0..65535 page by 65535)")
    return page
