"""How a PDF page is drawn: the pixels it is drawn over (:func:`render_size`) and drawing it there
(:func:`draw`), a scan's pixels one to one where a page box a fraction of a pixel off its scan's
size would have them resampled, with its filled-in form fields (:func:`init_forms`). Call them with
``docclean.pdf``'s pdfium lock held."""

from __future__ import annotations

import ctypes
import logging
import math

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from docclean.pdfpage import LAYER_COVERAGE, images

#: How far inside its whole pixels a scan's edges are drawn (pixels): pdfium rounds an image's
#: box outwards, and an edge a float's error past a whole pixel took in one more row or column.
_INSIDE = 1e-3

Placement = tuple[float, float, float, float, float, float]
"""A matrix (a, b, c, d, e, f) from the page as shown, in points from its top left corner, to pixels."""


def render_size(page: pdfium.PdfPage, dpi: float, native: bool, unit: float = 1.0
                ) -> tuple[int, int, Placement | None]:
    """(width, height) in pixels of ``page`` as shown, drawn at ``dpi``, and the placement that
    draws its scan one to one at that size (for :func:`draw`; None: drawn at that size as it is).
    ``native``: ``dpi`` is the page's own (:func:`native_dpi`); a scan lying square to the page
    then keeps its pixels where that is a pixel or two from the size ``dpi`` gives
    (:func:`_one_to_one`). ``unit``: the page's /UserUnit (``docclean.pdfunits.page_units``): its
    box times ``unit`` is its size in points of 1/72 inch, which ``dpi`` counts pixels per inch of."""
    width_pt, height_pt = page.get_size()
    size = _whole_pixels(width_pt * unit, dpi), _whole_pixels(height_pt * unit, dpi)
    found = _one_to_one(page) if native else None
    if found is not None and all(abs(a - b) <= 2 for a, b in zip(found[:2], size)):
        return found
    return (*size, None)


def _whole_pixels(size_pt: float, dpi: float) -> int:
    """Pixels for ``size_pt`` points at ``dpi``: rounded up, but a size within a hundredth of a pixel
    of a whole number (every page docclean wrote; float rounding puts it a hair over) is that number."""
    exact = size_pt * dpi / 72.0
    return max(1, round(exact)) if abs(exact - round(exact)) < 0.01 else math.ceil(exact)


def _shown(page: pdfium.PdfPage, x: float, y: float) -> tuple[float, float]:
    """A point of the page's own space in points from the top left of the page as shown (its box's
    corner, its /Rotate applied clockwise)."""
    left, bottom, right, top = page.get_bbox()
    return {90: (y - bottom, x - left), 180: (right - x, y - bottom),
            270: (top - y, right - x)}.get(page.get_rotation(), (x - left, top - y))


def _one_to_one(page: pdfium.PdfPage) -> tuple[int, int, Placement] | None:
    """The size (width, height, as shown) at which the page's sharpest image layer is drawn one to
    one, and the placement that puts each of its pixels on one pixel; None when it does not lie
    square to the page with square pixels (a skewed scan, a 204 x 98 dpi fax) or there is none.

    A scanner writes an A4 page of 2480 x 3508 pixels under a 595.28 x 841.89 pt box, which is
    2480.3 x 3507.9 pixels at 300 dpi: drawn over 2481 columns, every column was resampled, and a
    1-bit page came out grey at every edge, so the engine no longer saw a 1-bit page."""
    width_pt, height_pt = page.get_size()
    best = None  # (sharper dpi, pixels along x and y as shown, the layer's box as shown)
    for obj, (a, b, c, d, e, f) in images(page):
        if abs(a * d - b * c) < LAYER_COVERAGE * width_pt * height_pt:
            continue
        px_w, px_h = obj.get_px_size()
        if abs(b) <= 1e-6 * abs(a) and abs(c) <= 1e-6 * abs(d):  # upright (or mirrored)
            across, up = px_w, px_h
        elif abs(a) <= 1e-6 * abs(b) and abs(d) <= 1e-6 * abs(c):  # a quarter turn
            across, up = px_h, px_w
        else:
            continue
        corners = [_shown(page, e + a * u + c * v, f + b * u + d * v) for u in (0, 1) for v in (0, 1)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        box = (min(xs), min(ys), max(xs), max(ys))
        if page.get_rotation() in (90, 270):
            across, up = up, across
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        dpi_x, dpi_y = across * 72.0 / (box[2] - box[0]), up * 72.0 / (box[3] - box[1])
        if best is None or max(dpi_x, dpi_y) > best[0]:
            best = (max(dpi_x, dpi_y), dpi_x, dpi_y, across, up, box)
    if best is None:
        return None
    sharper, dpi_x, dpi_y, across, up, (x0, y0, x1, y1) = best
    if abs(dpi_x - dpi_y) > 0.01 * sharper:
        return None
    width, height = max(1, round(width_pt * dpi_x / 72.0)), max(1, round(height_pt * dpi_y / 72.0))
    # The layer's first pixel where the page's scale puts it, whole; its edges just inside.
    left, top = round(x0 * width / width_pt), round(y0 * height / height_pt)
    scale_x, scale_y = (across - 2 * _INSIDE) / (x1 - x0), (up - 2 * _INSIDE) / (y1 - y0)
    return width, height, (scale_x, 0.0, 0.0, scale_y, left + _INSIDE - x0 * scale_x, top + _INSIDE - y0 * scale_y)


def init_forms(doc: pdfium.PdfDocument) -> None:
    """Open the form environment of ``doc`` where it has form fields, before any of its pages is
    loaded, so that :func:`draw` draws them. pdfium's page drawing leaves form fields (widget
    annotations) out (crbug.com/pdfium/993): a filled-in text field came out blank. A document
    without forms gets none, and its pages are drawn as before, pixel for pixel."""
    if not logging.getLogger("pypdfium2").handlers:  # its note that this pdfium draws no XFA: not docclean's
        logging.getLogger("pypdfium2").addHandler(logging.NullHandler())
    try:
        doc.init_forms()
    except pdfium.PdfiumError:  # the pages are drawn without their fields, as before
        pass


def draw(page: pdfium.PdfPage, width: int, height: int, placement: Placement | None = None) -> np.ndarray:
    """``page`` drawn over ``width`` x ``height`` pixels, RGB uint8, on white, annotations included,
    as ``PdfPage.render`` draws it; with ``placement`` (:func:`render_size`), placed by it. pdfium
    stretches the page over the whole size otherwise, which resampled a scan of a fraction of a
    pixel less (44% of a dithered A4 page's pixels grey at 2480 x 3508).

    Form fields (:func:`init_forms`) are drawn over the page as a viewer shows them, their hidden
    and not-on-screen ones (/F 2, 32) left out as the other annotations' are. pdfium draws them
    (``FPDF_FFLDraw``) over a whole-pixel rectangle, not through a matrix: the page's box under
    ``placement`` with its corners rounded, half a pixel at most from where the matrix puts them
    (a thousandth of one under a scan that fills the page)."""
    bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_BGR, rev_byteorder=True)
    try:
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_REVERSE_BYTE_ORDER
        if placement is not None:
            # pdfium applies the matrix to the page as shown (its /Rotate applied), in points.
            matrix, clip = pdfium_c.FS_MATRIX(*placement), pdfium_c.FS_RECTF(0, 0, width, height)
            pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap, page, ctypes.byref(matrix), ctypes.byref(clip), flags)
        else:
            pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, flags)
        forms = getattr(page, "formenv", None)
        if forms:
            # Widgets only (the other annotations are drawn above), in the bitmap's byte order.
            pdfium_c.FPDF_FFLDraw(forms, bitmap, page, *_box(page, width, height, placement), 0,
                                  pdfium_c.FPDF_REVERSE_BYTE_ORDER)
        return np.array(bitmap.to_numpy()[..., :3])  # a copy: pdfium's buffer is freed on close
    finally:
        bitmap.close()


def _box(page: pdfium.PdfPage, width: int, height: int, placement: Placement | None) -> tuple[int, int, int, int]:
    """(left, top, width, height) in whole pixels of the page as shown under ``placement``: where
    ``FPDF_FFLDraw`` draws its form fields over :func:`draw`'s drawing."""
    if placement is None:
        return 0, 0, width, height
    scale_x, _, _, scale_y, left, top = placement
    width_pt, height_pt = page.get_size()
    x0, y0 = round(left), round(top)
    return x0, y0, round(left + scale_x * width_pt) - x0, round(top + scale_y * height_pt) - y0
