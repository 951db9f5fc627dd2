"""Every Pillow mode brought to the grey page docclean cleans (float32 0..1) plus optional RGB colour.

Moved out of ``docclean.imagefile``, which re-exports :func:`to_gray_color`, :func:`float_gray` and
:class:`FloatRangeError` under their old names."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image

from docclean.pixels import split_rgb

# Float pages hold 0..1, or an integer range stored as float: the smallest of these whose double
# holds the page's largest value is its range (the slack keeps a 0..1 page that overshoots a little
# from being read as a black 0..255 one); beyond the last one the page is refused.
_FLOAT_RANGES = (1.0, 255.0, 65535.0)
_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV", "RGBX"}
_UINT16_TOP = 65535
_UINT32_TOP = 2**32 - 1


class FloatRangeError(ValueError):
    """A float page whose values fit none of the ranges docclean understands."""


def float_gray(values: np.ndarray) -> np.ndarray:
    """Grey float32 0..1 of a float page (Pillow mode F).

    The page's range is the smallest of 0..1, 0..255 and 0..65535 whose double holds its
    largest finite value (so a 0..255 page is not clipped to white); values outside the range
    are clipped, NaN and +inf are paper, -inf ink. A page beyond 2 x 65535 raises
    FloatRangeError rather than guessing."""
    gray = np.array(values, dtype=np.float32)  # a writable copy, worked on in place
    with np.errstate(invalid="ignore"):
        top = float(np.nanmax(gray)) if gray.size else 0.0
    if top == np.inf:  # rare: the largest finite value needs its own pass
        finite = np.where(np.isfinite(gray), gray, np.float32(np.nan))
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice
            top = float(np.nanmax(finite))
        del finite
    top = 0.0 if np.isnan(top) else top
    scale = next((ceiling for ceiling in _FLOAT_RANGES if top <= 2 * ceiling), None)
    if scale is None:
        raise FloatRangeError(f"float pixel values out of range (largest {top:g}; expected "
                              f"0..1, 0..255 or 0..65535)")
    np.nan_to_num(gray, copy=False, nan=scale, posinf=scale, neginf=0.0)
    if scale != 1.0:
        gray /= np.float32(scale)
    np.clip(gray, 0.0, 1.0, out=gray)
    return gray


def int_gray(values: np.ndarray) -> np.ndarray:
    """Grey float32 0..1 of a 32-bit integer page (Pillow mode I; a uint32 array for unsigned samples).

    Pillow hands over 16-bit grey in this mode from some files (older Pillows' 16-bit PNGs, signed
    16-bit TIFFs), and 32-bit integer TIFFs too. A page whose values all fit 0..65535 is read over
    that 16-bit range, as it always was. Past it there is no white level to go by: no scanner writes
    32-bit grey, and the type's own range (0..2^31-1) would read any such page as black, while
    clipping to 65535 read it as pure black and white. So, as a float page gets its range from its
    values (:func:`float_gray`), such a signed page is read over its real range: its largest value is
    white and 0 black (its smallest value instead when that is negative). Unsigned 32-bit samples
    (a uint32 ``values``: a TIFF's SampleFormat 1, ImageMagick's ``-depth 32``) past 0..65535 have
    their white level, the type's: 0..2^32-1, as the TIFF spec reads them."""
    if not values.size:
        return np.zeros(values.shape, np.float32)
    low, top = int(values.min()), int(values.max())
    if low >= 0 and top <= _UINT16_TOP:
        return values.astype(np.float32) / np.float32(_UINT16_TOP)
    if values.dtype == np.uint32:
        return values.astype(np.float32) / np.float32(_UINT32_TOP)  # both round alike in float32: never past 1
    bottom = min(low, 0)
    span = max(top - bottom, 1)
    gray = values.astype(np.float32)  # rounds past 2^24 by under a millionth of the range: no grey level
    if bottom:
        gray -= np.float32(bottom)
    gray /= np.float32(span)
    np.clip(gray, 0.0, 1.0, out=gray)
    return gray


def to_gray_color(im: Image.Image, *, unsigned: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """(gray float32 0..1, color uint8 RGB or None) of a decoded image in any Pillow mode.

    Alpha is composited onto white (a transparent scan background is paper), 16-bit data is
    scaled by 65535, 32-bit integer data as :func:`int_gray` says, float data by its range (see
    :func:`float_gray`), palette and CMYK images go through RGB, and an RGB image whose channels
    are all equal counts as grey (``color`` None). Pixels are taken as sRGB (the file reader
    converts a page with another colour profile first: ``docclean.icc``). ``unsigned``: a mode I
    image holds unsigned 32-bit samples in Pillow's signed type (a TIFF's, ``docclean.imagefile``),
    taken back as unsigned."""
    mode = im.mode
    if mode == "1":
        return np.asarray(im).astype(np.float32), None
    if mode == "L":
        return np.asarray(im).astype(np.float32) / np.float32(255.0), None
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.float32) / np.float32(65535.0), None
    if mode == "I":
        values = np.asarray(im)
        return int_gray(values.view(np.uint32) if unsigned else values), None
    if mode == "F":
        return float_gray(np.asarray(im)), None
    if mode in ("LA", "La"):
        la = np.asarray(im.convert("LA") if mode == "La" else im).astype(np.float32)
        alpha = la[..., 1] / np.float32(255.0)
        gray = (la[..., 0] * alpha + np.float32(255.0) * (1 - alpha)) / np.float32(255.0)
        return gray.astype(np.float32), None
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        return to_gray_color(im.convert("RGBA" if has_alpha else "RGB"))
    if mode in ("RGBA", "RGBa"):
        rgba = np.asarray(im.convert("RGBA") if mode == "RGBa" else im).astype(np.uint16)
        alpha = rgba[..., 3:4]
        # Integer compositing onto white, rounded: c*a + 255*(255-a), / 255.
        rgb = ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        return split_rgb(rgb)
    if mode == "RGB":
        return split_rgb(np.asarray(im))
    if mode in _CONVERT_TO_RGB:
        return split_rgb(np.asarray(im.convert("RGB")))
    # Anything exotic that Pillow can still convert.
    return split_rgb(np.asarray(im.convert("RGB")))
