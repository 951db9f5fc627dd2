"""What the checks for damaged inputs cost on whole pages: `python bench/damage_checks.py`.

An A4 page at 300 dpi (docclean.synth's text page on mildly noisy grey paper) written as a
baseline and a progressive JPEG, a deflate TIFF, and a 20-page PDF of Flate images (docclean's own
writer). For each, the median of 5 runs of the check (docclean.jpegcheck, docclean.tiffcheck's
deflate check, docclean.pdfcheck's pass over the page tree) beside the median of 5 full decodes
of the page (Pillow; for the PDF, docclean.io.read_pages of its first page), on this machine.
Prints a Markdown table.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docclean import tiffcheck  # noqa: E402
from docclean.io import read_pages  # noqa: E402
from docclean.jpegcheck import jpeg_damage  # noqa: E402
from docclean.synth.layout import render_page  # noqa: E402
from docclean.writer import PageWriter  # noqa: E402

RUNS = 5


def median_s(run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def page() -> np.ndarray:
    rng = np.random.default_rng(0)
    paper = 0.88 + rng.normal(0, 0.02, (3508, 2480)).astype(np.float32)
    return (render_page() * paper).clip(0, 1)


def decode(path: Path) -> None:
    with Image.open(path) as im:
        im.load()


def main() -> None:
    pixels = (page() * 255).astype(np.uint8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kinds = (("JPEG baseline, quality 90", {}), ("JPEG progressive, quality 90", {"progressive": True}))
        for name, options in kinds:
            path = folder / "page.jpg"
            Image.fromarray(pixels).save(path, quality=90, **options)
            data = path.read_bytes()
            rows.append((name, median_s(lambda: jpeg_damage(data)), median_s(lambda: decode(path))))
        tiff = folder / "page.tif"
        Image.fromarray(pixels).save(tiff, compression="tiff_adobe_deflate")
        with Image.open(tiff) as im:
            tags = {tag: im.tag_v2.get(tag) for tag in tiffcheck._TAGS if tag in im.tag_v2}
        rows.append(("TIFF deflate, grey", median_s(lambda: tiffcheck._inflate_damage(tiff, tags)),
                     median_s(lambda: decode(tiff))))
        pdf = folder / "book.pdf"
        with PageWriter(pdf) as writer:
            for _ in range(20):
                writer.add(pixels.astype(np.float32) / 255, (300.0, 300.0))
        import pypdf

        from docclean.pdfcheck import check_pages

        def checks() -> None:
            check_pages(pypdf.PdfReader(pdf))

        rows.append(("PDF of 20 Flate pages: the page-tree check, per page", median_s(checks) / 20,
                     median_s(lambda: next(read_pages(pdf)))))
    print(f"`python bench/damage_checks.py` ({platform.processor() or platform.machine()}, median of {RUNS} runs; "
          "an A4 page at 300 dpi, 2480 x 3508)\n")
    print("| input | check s/page | full decode s/page | check / decode |")
    print("|---|---|---|---|")
    for name, check, full in rows:
        print(f"| {name} | {check:.3f} | {full:.3f} | {check / full:.2f} |")


if __name__ == "__main__":
    main()
