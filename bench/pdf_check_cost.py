"""What checking a PDF page's image data before drawing it costs (``docclean.pdfpage.image_damage``:
Flate, JPEG, CCITT fax, JBIG2), beside drawing the page, on 1-bit A4 text pages at 300 dpi: written
as CCITT group 4 by docclean's own PDF writer, and as JBIG2 with one MMR-coded region (the stream
the tests write by hand, ``tests/docclean/test_pdf_jbig2_damage.py``; no JBIG2 encoder is at hand).
The fax check decodes the data with libtiff; the JBIG2 check walks the segments, decodes the MMR
region with libtiff and asks pdfium to decode the image.

    python bench/pdf_check_cost.py [--pages 20]

Prints medians per page; the first group 4 page's figure includes reading the file once for the
images' /DecodeParms (``docclean.pdffax``) and importing pypdf, shown apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclean.pdfpage import image_damage  # noqa: E402
from docclean.synth import render_page  # noqa: E402
from docclean.writer import PageWriter  # noqa: E402
from tests.docclean.test_pdf_jbig2_damage import jbig2, jbig2_image  # noqa: E402
from tests.docclean.test_pdf_pages import full_page, pdf  # noqa: E402


def timings(path: Path) -> tuple[list[float], list[float]]:
    """Seconds to check and to draw (grey, 300 dpi) each page of ``path``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    checks, draws = [], []
    for index in range(len(doc)):
        page = doc[index]
        start = time.perf_counter()
        assert image_damage(page, path) is None
        checks.append(time.perf_counter() - start)
        start = time.perf_counter()
        page.render(scale=300 / 72, grayscale=True).to_numpy()
        draws.append(time.perf_counter() - start)
        page.close()
    doc.close()
    return checks, draws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    page = render_page(2480, 3508, dpi=300, font_pt=10) > 0.5  # an A4 text page, 1-bit
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g4.pdf"
        with PageWriter(path) as writer:
            for _ in range(args.pages):
                writer.add(page, (300.0, 300.0))
        checks, draws = timings(path)
        size = path.stat().st_size
        jbig2_path = pdf(Path(tmp) / "jbig2.pdf", [full_page(jbig2_image(page, jbig2(page)), 300.0)] * args.pages)
        jbig2_checks, jbig2_draws = timings(jbig2_path)
    print(f"{args.pages} A4 text pages at 300 dpi, 1-bit, CCITT group 4 ({size / 1e6:.1f} MB)")
    print(f"  first page's check (reads the file's /DecodeParms, imports pypdf): {checks[0] * 1e3:.1f} ms")
    print(f"  check per page, median of the others:  {statistics.median(checks[1:]) * 1e3:.1f} ms")
    print(f"  drawing the page (pdfium, grey), median: {statistics.median(draws) * 1e3:.1f} ms")
    print("the same pages as JBIG2, one MMR region each")
    print(f"  check per page, median:                 {statistics.median(jbig2_checks) * 1e3:.1f} ms")
    print(f"  drawing the page (pdfium, grey), median: {statistics.median(jbig2_draws) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
