"""Files left out of the pairs say why when a near miss explains it (``docclean.pairs_names``)."""

from pathlib import Path

import numpy as np
from PIL import Image

from docclean.pairs import find_pairs


def page(path: Path, pages: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.fromarray(np.full((20, 30), 200, np.uint8)) for _ in range(pages)]
    frames[0].save(path, save_all=pages > 1, append_images=frames[1:])


def reasons(tmp_path: Path) -> dict[str, str]:
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    return {path.name: why for path, why in scan.unmatched}


def test_names_that_differ_only_in_case_are_said_to(tmp_path: Path) -> None:
    page(tmp_path / "noisy" / "a.png"), page(tmp_path / "clean" / "a.png")
    page(tmp_path / "noisy" / "SCAN111.JPG"), page(tmp_path / "clean" / "scan111.png")
    why = reasons(tmp_path)
    assert "clean/scan111.png differs from its name only in case" in why["SCAN111.JPG"]
    assert "noisy/SCAN111.JPG differs from its name only in case" in why["scan111.png"]


def test_a_multi_page_scan_beside_clean_page_files_is_explained(tmp_path: Path) -> None:
    page(tmp_path / "noisy" / "a.png"), page(tmp_path / "clean" / "a.png")
    page(tmp_path / "noisy" / "book.tif", pages=2)
    page(tmp_path / "clean" / "book-p001.png"), page(tmp_path / "clean" / "book-p002.png")
    why = reasons(tmp_path)
    assert ("the clean pages are split into page files (book-p001.png to book-p002.png, 2 files), which pair "
            "with no multi-page file: give the clean pages as one multi-page file, or split book.tif the same way"
            ) in why["book.tif"]
    assert "it is a page file of" in why["book-p002.png"] and "split book.tif the same way" in why["book-p002.png"]
    assert "a.png" not in why
