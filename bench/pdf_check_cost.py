"""What checking a PDF page's image data before drawing it costs (``docclean.pdfpage.image_damage``:
Flate, JPEG, CCITT fax, JBIG2), beside drawing the page, on 1-bit A4 pages at 300 dpi written as
CCITT group 4 by docclean's own PDF writer (the fax check is the costly one: a full decode).

    python bench/pdf_check_cost.py [--pages 20]

Prints medians per page; the first page's figure includes reading the file once for the images'
/DecodeParms (``docclean.pdffax``) and importing pypdf, shown apart.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    import pypdfium2 as pdfium

    page = render_page(2480, 3508, dpi=300, font_pt=10) > 0.5  # an A4 text page, 1-bit
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g4.pdf"
        with PageWriter(path) as writer:
            for _ in range(args.pages):
                writer.add(page, (300.0, 300.0))
        doc = pdfium.PdfDocument(str(path))
        checks, draws = [], []
        for index in range(len(doc)):
            pdf_page = doc[index]
            start = time.perf_counter()
            assert image_damage(pdf_page, path) is None
            checks.append(time.perf_counter() - start)
            start = time.perf_counter()
            pdf_page.render(scale=300 / 72, grayscale=True).to_numpy()
            draws.append(time.perf_counter() - start)
            pdf_page.close()
        doc.close()
        size = path.stat().st_size
    print(f"{args.pages} A4 pages at 300 dpi, 1-bit, CCITT group 4 ({size / 1e6:.1f} MB)")
    print(f"  first page's check (reads the file's /DecodeParms, imports pypdf): {checks[0] * 1e3:.1f} ms")
    print(f"  check per page, median of the others:  {statistics.median(checks[1:]) * 1e3:.1f} ms")
    print(f"  drawing the page (pdfium, grey), median: {statistics.median(draws) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
