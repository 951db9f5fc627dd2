"""The bytes a PDF image's decoded data must hold (:func:`image_bytes`), read from pypdf's image
dictionary, and the reading of pypdf's dictionaries that ``docclean.pdfcheck`` shares with it.

``docclean.pdfpage`` refuses an image whose data decodes to fewer bytes than its size needs (pdfium
draws the rest as blank); the size is read here, in the pass ``docclean.pdfcheck`` makes over the
page tree, never more than the image needs: where a figure cannot be told, the fewest it can be."""

from __future__ import annotations

import math
from typing import Any

_COMPONENTS = {"/DeviceGray": 1, "/G": 1, "/CalGray": 1, "/Indexed": 1, "/I": 1, "/Separation": 1,
               "/DeviceRGB": 3, "/RGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4, "/CMYK": 4}


def image_bytes(image: Any) -> int | None:
    """The fewest bytes the decoded data of pypdf's image dictionary ``image`` holds whole: its rows
    times the bytes of a row (its width times components times bits per component, rounded up to
    a byte), with a PNG predictor's tag byte before each of the predictor's rows (of its /Columns,
    /Colors and /BitsPerComponent, pdfium's defaults where missing); None where its size cannot be
    read. A colour space that cannot be told (a resource's name) counts one component, and missing
    bits per component one bit: never more than the image needs."""
    width, height = integer(looked_up(image, "/Width")), integer(looked_up(image, "/Height"))
    if width is None or height is None or width <= 0 or height <= 0:
        return None
    if getattr(looked_up(image, "/ImageMask"), "value", False) is True:
        components, bits = 1, 1
    else:
        components = _components(looked_up(image, "/ColorSpace"))
        bits = integer(looked_up(image, "/BitsPerComponent")) or 1
    needed = math.ceil(width * components * bits / 8) * height
    parms = looked_up(image, "/DecodeParms")
    parms = followed(parms[0]) if isinstance(parms, list) and parms else parms
    if not isinstance(parms, dict) or (integer(looked_up(parms, "/Predictor")) or 1) < 10:
        return needed  # no predictor, or TIFF's, which keeps the rows' bytes
    colors, bits = integer(looked_up(parms, "/Colors")) or 1, integer(looked_up(parms, "/BitsPerComponent")) or 8
    row = math.ceil(colors * bits * (integer(looked_up(parms, "/Columns")) or 1) / 8)
    return math.ceil(needed / row) * (row + 1) if row > 0 else needed


def _components(space: Any) -> int:
    """Components of a colour space (a name or an array): 1 where it cannot be told."""
    if isinstance(space, list) and space:
        family = str(followed(space[0]))
        if family == "/ICCBased" and len(space) > 1:
            return integer(looked_up(followed(space[1]), "/N")) or 1
        if family == "/DeviceN" and len(space) > 1 and isinstance(followed(space[1]), list):
            return max(1, len(followed(space[1])))
        return _COMPONENTS.get(family, 1)
    return _COMPONENTS.get(str(space), 1)


def stored(mapping: Any, key: str) -> Any:
    """``mapping[key]`` as stored (an indirect reference not followed), or None."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def looked_up(mapping: Any, key: str) -> Any:
    """``mapping[key]``, an indirect reference followed, or None."""
    return followed(stored(mapping, key))


def followed(value: Any) -> Any:
    """``value``, or the object it refers to where it is an indirect reference."""
    return value.get_object() if hasattr(value, "get_object") else value


def integer(value: Any) -> int | None:
    """A number (not a boolean) as an int, or None."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
