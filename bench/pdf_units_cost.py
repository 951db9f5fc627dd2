"""What reading every page's /UserUnit costs when docclean opens a PDF (``docclean.pdfunits``):
importing pypdf once per process, and reading the page dictionaries of a file, beside pdfium
opening the same file and counting its pages, and beside cleaning one of its pages.

    python bench/pdf_units_cost.py [--pages 1000] [--repeat 3]

Prints medians over ``--repeat`` runs; the import is timed in fresh processes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclean import pdfunits  # noqa: E402
from docclean.writer import PageWriter  # noqa: E402


def import_seconds() -> float:
    """Seconds to import pypdf in a fresh process (after numpy and Pillow, which docclean has loaded)."""
    code = ("import time, numpy, PIL.Image; t = time.perf_counter(); import pypdf; "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def timed(call) -> float:  # noqa: ANN001 - any callable
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.pdf"
        rng = np.random.default_rng(0)
        page = (rng.random((330, 240)) > 0.05).astype(np.float32)  # a small page: the file's structure is what counts
        with PageWriter(path) as writer:
            for _ in range(args.pages):
                writer.add(page, (300.0, 300.0))
        size = path.stat().st_size

        def units() -> None:
            pdfunits._read.cache_clear()  # noqa: SLF001 - the first read of a file, as a batch does
            assert len(pdfunits.page_units(path, args.pages)) == args.pages

        def count() -> None:
            doc = pdfium.PdfDocument(str(path))
            assert len(doc) == args.pages
            doc.close()

        imports = [import_seconds() for _ in range(args.repeat)]
        read = [timed(units) for _ in range(args.repeat)]
        opened = [timed(count) for _ in range(args.repeat)]
    print(f"PDF of {args.pages} pages written by docclean ({size / 1e6:.1f} MB); medians of {args.repeat}")
    print(f"  import pypdf (once per process):            {statistics.median(imports):.3f} s")
    print(f"  read every page's /UserUnit (pypdf):        {statistics.median(read):.3f} s "
          f"({statistics.median(read) / args.pages * 1e3:.2f} ms a page)")
    print(f"  pdfium: open the file and count its pages:  {statistics.median(opened):.3f} s")


if __name__ == "__main__":
    main()
