"""What the input checks cost on a 300-dpi A4 page (2480 x 3508), best of a few runs each:
the PDF image-data check before a page is drawn (``docclean.pdfpage.image_damage``) for a JPEG
and a Flate page, grey and colour; converting a page with an embedded ProPhoto colour profile to
sRGB, and looking at an sRGB one (``docclean.icc``); lining up a training pair whose clean page is
2 px smaller on every side (``docclean.pairs_align.align``). Pages are made up here (paper with
lines of dark marks).

    python bench/input_checks.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

W, H = 2480, 3508


def _page(colour: bool) -> np.ndarray:
    rng = np.random.default_rng(0)
    page = np.full((H, W), 235, np.uint8) - rng.integers(0, 12, (H, W), dtype=np.uint8)
    for y in range(300, H - 300, 60):  # lines of "text"
        page[y:y + 20, 250:W - 250:3] = 30
    return np.stack([page, page, (page * 0.9).astype(np.uint8)], -1) if colour else page


def _best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def _jpeg_pdf(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PDF", resolution=300.0, quality=90)  # Pillow embeds the JPEG
    return buf.getvalue()


def _flate_pdf(image: np.ndarray) -> bytes:
    import img2pdf

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", dpi=(300, 300))
    return img2pdf.convert(buf.getvalue())  # a PNG's pixels go in as Flate data


def _check_seconds(data: bytes, repeat: int) -> float:
    import pypdfium2 as pdfium

    from docclean.pdfpage import image_damage

    doc = pdfium.PdfDocument(data)
    page = doc[0]
    try:
        assert image_damage(page) is None
        return _best(lambda: image_damage(page), repeat)
    finally:
        page.close()
        doc.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    print("| check | page | seconds |")
    print("|---|---|---|")
    for colour in (False, True):
        image, kind = _page(colour), "colour" if colour else "grey"
        print(f"| PDF image data | JPEG, {kind} | {_check_seconds(_jpeg_pdf(image), a.repeat):.4f} |", flush=True)
        print(f"| PDF image data | Flate, {kind} | {_check_seconds(_flate_pdf(image), a.repeat):.4f} |", flush=True)

    from docclean import icc
    from tests.docclean.test_icc import prophoto  # the tests' ProPhoto RGB profile

    rgb = Image.fromarray(_page(True))
    seconds = _best(lambda: icc.to_srgb(rgb, prophoto()), a.repeat)
    print(f"| colour profile to sRGB | ProPhoto, colour | {seconds:.4f} |", flush=True)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    print(f"| colour profile to sRGB | sRGB, colour | {_best(lambda: icc.to_srgb(rgb, srgb), a.repeat):.4f} |")

    from docclean.pairs_align import align

    noisy = _page(False).astype(np.float32) / 255.0
    clean = noisy[2:-2, 2:-2].copy()
    seconds = _best(lambda: align(noisy, clean), a.repeat)
    print(f"| lining up a pair | clean page 2 px smaller each side | {seconds:.4f} |")


if __name__ == "__main__":
    main()
