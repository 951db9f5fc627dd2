"""What resolution an image file states (:func:`stated_dpi`), read the way each format keeps it
(JFIF or EXIF in a JPEG, EXIF in a WebP, pixels per metre in PNG and BMP), and which resolutions
count as stated at all (:data:`PLAUSIBLE_DPI`)."""

from __future__ import annotations

import numpy as np
from PIL import ExifTags, Image

_PER_METRE = {"PNG", "BMP"}  # formats that store their resolution in pixels per metre
#: Resolutions (dots per inch) a page can plausibly have, both ends included. Below 10 is no scan
#: (the lowest PDF render resolution docclean offers is 10, and files say 1 or 2 when they mean
#: "unset"); above 10000 none either (film scanners stop near 9600 dpi). A file's resolution
#: outside it is unknown; the writer stores none outside it (``docclean.writer``): such a value,
#: written, broke the encoders or made a PDF page of zero size.
PLAUSIBLE_DPI = (10.0, 10000.0)


def stated_dpi(im: Image.Image) -> tuple[float, float] | None:
    """The (x, y) resolution ``im`` states, or None when it states none or an implausible one."""
    # A JPEG whose JFIF header states no unit keeps its resolution in EXIF, where Pillow reads only
    # XResolution for both axes (200 x 100 dpi became 200 x 200: a PDF page of half its height).
    if im.format == "JPEG" and im.info.get("jfif_unit") not in (1, 2):
        found = _exif_dpi(im)
        if found is not None:
            return found
    return _dpi(im.info, per_metre=im.format in _PER_METRE) or (_exif_dpi(im) if im.format == "WEBP" else None)


def plausible_dpi(dpi: object) -> bool:
    """True when ``dpi`` is an (x, y) pair of resolutions within :data:`PLAUSIBLE_DPI`, each
    rounded to a whole dpi (PNG's dots per metre bring 10000 dpi back as 10000.005)."""
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if not (np.isfinite(x) and np.isfinite(y)):
        return False
    low, high = PLAUSIBLE_DPI
    return low <= round(x) <= high and low <= round(y) <= high


def _dpi(info: dict, per_metre: bool = False) -> tuple[float, float] | None:
    """Resolution from Pillow's info dict, or None when absent or implausible (0 or 1 = unset;
    outside :data:`PLAUSIBLE_DPI`). ``per_metre``: the file stores pixels per metre (PNG, BMP)."""
    raw = info.get("dpi")
    if not plausible_dpi(raw):
        return None
    x, y = float(raw[0]), float(raw[1])  # type: ignore[index]
    if per_metre:
        return (_metric_dpi(x), _metric_dpi(y))
    return (round(x, 2), round(y, 2))


def _metric_dpi(dpi: float) -> float:
    """The resolution a pixels-per-metre count was most likely written from. PNG and BMP store whole
    pixels per metre, so 150 dpi comes back as 150.0124 (5906 per metre) and 300 as 299.9994; rounded
    to 2 decimals, 150 became 150.01, and a page written on from it (a PDF page's size, a TIFF's
    resolution) drifted. Of the resolutions stored as the same count, the whole one is taken (every
    whole dpi comes back whole), else the one with the fewest decimals."""
    count = round(dpi / 0.0254)
    low, high = (count - 0.5) * 0.0254, (count + 0.5) * 0.0254
    return float(next((value for value in (round(dpi), round(dpi, 1)) if low <= value < high), round(dpi, 2)))


def _exif_dpi(im: Image.Image) -> tuple[float, float] | None:
    """Resolution from the EXIF block, both axes (WebP keeps it nowhere else; a JPEG without JFIF
    units keeps it there), or None."""
    try:
        exif = im.getexif()
        x, y = exif.get(ExifTags.Base.XResolution), exif.get(ExifTags.Base.YResolution)
        unit = exif.get(ExifTags.Base.ResolutionUnit, 2)
    except Exception:  # noqa: BLE001 - a damaged EXIF block only costs the resolution
        return None
    if x is None or y is None or unit not in (2, 3):
        return None
    per_inch = 2.54 if unit == 3 else 1.0  # unit 3: per centimetre
    return _dpi({"dpi": (float(x) * per_inch, float(y) * per_inch)})
