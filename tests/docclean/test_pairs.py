"""Pairing noisy and clean folders: by relative path and stem, every page, problems named up front,
groups kept together in the split."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.errors import DataError
from docclean.pairs import check_pairs, find_pairs, read_pair

RNG = np.random.default_rng(4)


def img(path: Path, size=(30, 20), pages: int = 1, value: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.fromarray(np.full(size[::-1], value, np.uint8) if value is not None
                              else RNG.integers(0, 256, size[::-1], dtype=np.uint8)) for _ in range(pages)]
    frames[0].save(path, save_all=pages > 1, append_images=frames[1:])
    return path


def test_pairs_by_relative_path_and_stem_with_every_page(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a" / "p1.jpg")
    img(tmp_path / "clean" / "a" / "p1.png")
    img(tmp_path / "noisy" / "book.tif", pages=3)
    img(tmp_path / "clean" / "book.tif", pages=3)
    img(tmp_path / "noisy" / "lonely.png")
    img(tmp_path / "clean" / "orphan.png")
    img(tmp_path / "noisy" / "short.tif", pages=2)
    img(tmp_path / "clean" / "short.tif", pages=1)
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [(p.noisy.name, p.clean.name, p.page) for p in scan.pairs] == [
        ("p1.jpg", "p1.png", 0), ("book.tif", "book.tif", 0), ("book.tif", "book.tif", 1), ("book.tif", "book.tif", 2)]
    reasons = {path.name: reason for path, reason in scan.unmatched}
    assert "no clean page" in reasons["lonely.png"] and "without a noisy page" in reasons["orphan.png"]
    assert "2 pages but its clean file has 1" in reasons["short.tif"]
    with pytest.raises(DataError, match="folder not found"):
        find_pairs(tmp_path / "nope", tmp_path / "clean")
    with pytest.raises(DataError, match="a file, not a folder"):  # it said "folder not found" of a file there
        find_pairs(tmp_path / "noisy" / "lonely.png", tmp_path / "clean")


def test_a_mis_sized_pair_is_named_before_training(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "ok.png", (30, 20))
    img(tmp_path / "clean" / "ok.png", (32, 21))  # within the tolerance: cropped
    img(tmp_path / "noisy" / "bad.png", (30, 20))
    img(tmp_path / "clean" / "bad.png", (60, 40))
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    problems = check_pairs(scan.pairs)
    assert len(problems) == 1 and "bad.png" in problems[0] and "30x20" in problems[0] and "60x40" in problems[0]
    ok = next(p for p in scan.pairs if p.noisy.name == "ok.png")
    noisy, clean = read_pair(ok)
    assert noisy.shape == clean.shape == (20, 30)


def test_blank_clean_pages_are_refused(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png", value=255)
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    with pytest.raises(DataError, match="blank"):
        read_pair(scan.pairs[0])


def test_every_unreadable_pair_is_named_at_once(tmp_path: Path) -> None:
    from docclean.pairs import read_pairs

    for name in ("a", "b", "c"):
        img(tmp_path / "noisy" / f"{name}.png")
    img(tmp_path / "clean" / "a.png")
    img(tmp_path / "clean" / "b.png", value=255)  # blank
    img(tmp_path / "clean" / "c.png", value=255)  # blank
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    with pytest.raises(DataError, match="2 pair") as info:
        read_pairs(pairs)
    assert "b.png" in str(info.value) and "c.png" in str(info.value)
    assert len(read_pairs(pairs[:1])) == 1


def test_when_nothing_pairs_the_reasons_are_given(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "b.png")
    with pytest.raises(DataError, match="could not be paired") as info:
        find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert "a.png" in str(info.value) and "b.png: clean page without a noisy page" in str(info.value)


def test_long_lists_of_problems_show_the_first_few_and_a_count(tmp_path: Path) -> None:
    from docclean.pairs import _listing

    assert _listing(["a", "b"], 5) == "a; b" and _listing([], 5) == ""
    assert _listing([str(i) for i in range(7)], 5) == "0; 1; 2; 3; 4; and 2 more"
    for i in range(7):
        img(tmp_path / "noisy" / f"n{i}.png")
    (tmp_path / "clean").mkdir()
    with pytest.raises(DataError, match=r"\(7 files could not be paired: .*n\d\.png: no clean page .*; and 2 more\)"):
        find_pairs(tmp_path / "noisy", tmp_path / "clean")


def upright_jpeg(path: Path, stored: tuple[int, int], orientation: int) -> Path:
    """A JPEG whose stored raster is ``stored`` (width, height), tagged with ``orientation``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(RNG.integers(0, 256, stored[::-1], dtype=np.uint8)).save(path, exif=exif)
    return path


def test_a_pdf_page_is_size_checked_like_an_image(tmp_path: Path) -> None:
    from docclean.io import page_size

    noisy = tmp_path / "noisy" / "a.pdf"
    noisy.parent.mkdir()
    Image.fromarray(RNG.integers(0, 256, (200, 256), dtype=np.uint8)).save(noisy, resolution=100)
    img(tmp_path / "clean" / "a.png", (120, 100))
    pair = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs[0]
    assert page_size(noisy, 0) == (256, 200)  # from the page tree, rendering nothing
    assert check_pairs([pair]) == [f"{noisy}: page 1 is 256x200 but {pair.clean} is 120x100 "
                                   "(more than 4 pixels apart)"]
    with pytest.raises(DataError, match="more than 4 pixels apart"):  # and never cropped when read
        read_pair(pair)


def test_sizes_are_compared_as_the_pages_are_read_upright(tmp_path: Path) -> None:
    from docclean.io import page_size

    upright_jpeg(tmp_path / "noisy" / "turned.jpg", (200, 256), 6)  # read upright as 256x200
    img(tmp_path / "clean" / "turned.png", (256, 200))
    upright_jpeg(tmp_path / "noisy" / "stray.jpg", (256, 200), 6)  # upright pixels, stray tag: read 200x256
    img(tmp_path / "clean" / "stray.png", (256, 200))
    pairs = {p.noisy.stem: p for p in find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs}
    problems = check_pairs(list(pairs.values()))
    assert len(problems) == 1 and "stray.jpg: page 1 is 200x256" in problems[0]
    assert "a quarter turn apart: check the EXIF orientation" in problems[0]
    noisy, clean = read_pair(pairs["turned"])
    assert noisy.shape == clean.shape == (200, 256)
    with pytest.raises(DataError, match=r"stray.jpg: page 1 is 200x256 .*\(more than 4 pixels apart"):
        read_pair(pairs["stray"])
    tiff = tmp_path / "t.tif"  # Pillow reports a turned TIFF's header size turned already
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(RNG.integers(0, 256, (200, 256), dtype=np.uint8)).save(tiff, exif=exif)
    from docclean.io import read_gray

    for path in (tiff, tmp_path / "noisy" / "turned.jpg", tmp_path / "noisy" / "stray.jpg"):
        assert page_size(path, 0) == read_gray(path).shape[::-1], path


def test_ambiguous_names_name_every_file_involved(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "102.png")
    img(tmp_path / "clean" / "102.png")
    img(tmp_path / "clean" / "102.jpg")
    img(tmp_path / "noisy" / "7.png")
    img(tmp_path / "noisy" / "7.tif")
    img(tmp_path / "clean" / "7.png")
    img(tmp_path / "noisy" / "ok.png")
    img(tmp_path / "clean" / "ok.png")
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [p.noisy.name for p in scan.pairs] == ["ok.png"]
    reasons = {path.name: reason for path, reason in scan.unmatched}
    clean = tmp_path / "clean"
    assert reasons["102.png"] == f"several clean pages match it: {clean / '102.jpg'}, {clean / '102.png'}"
    assert reasons["7.tif"] == "several noisy files share this name with different suffixes (7.png, 7.tif)"
    # the clean page of those scans is scored and trained on by none of them: it is named too
    assert (clean / "7.png", "several noisy files share its name with different suffixes (7.png, 7.tif), so it "
                             "pairs with none of them") in scan.unmatched


def test_a_broken_link_is_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "gone.png").symlink_to(tmp_path / "nowhere.png")
    img(tmp_path / "clean" / "gone.png")
    img(tmp_path / "noisy" / "lost.png")
    (tmp_path / "clean" / "lost.png").symlink_to(tmp_path / "nowhere.png")
    img(tmp_path / "noisy" / "ok.png")
    img(tmp_path / "clean" / "ok.png")
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [p.noisy.name for p in scan.pairs] == ["ok.png"]
    reasons = {path.name: reason for path, reason in scan.unmatched}
    assert reasons["gone.png"] == f"broken link: {tmp_path / 'nowhere.png'} does not exist"
    assert reasons["lost.png"] == (f"unreadable clean page ({tmp_path / 'clean' / 'lost.png'}: broken link: "
                                   f"{tmp_path / 'nowhere.png'} does not exist)")


def test_a_page_paired_with_itself_is_no_pair(tmp_path: Path) -> None:
    from docclean.errors import UsageError

    for name in ("a", "b"):
        img(tmp_path / "noisy" / f"{name}.png")
    (tmp_path / "clean").mkdir()
    with pytest.raises(UsageError, match="one folder"):
        find_pairs(tmp_path / "noisy", tmp_path / "clean" / ".." / "noisy")
    for name in ("a", "b"):  # links to the scans are no clean versions of them
        (tmp_path / "clean" / f"{name}.png").symlink_to(tmp_path / "noisy" / f"{name}.png")
    with pytest.raises(UsageError, match=r"every noisy file that pairs is its own clean page \(2, e\.g\."):
        find_pairs(tmp_path / "noisy", tmp_path / "clean")
    (tmp_path / "clean" / "b.png").unlink()
    img(tmp_path / "clean" / "b.png")
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [p.noisy.name for p in scan.pairs] == ["b.png"]
    a = tmp_path / "noisy" / "a.png"
    assert scan.unmatched == [(a, f"the same file as its clean page {tmp_path / 'clean' / 'a.png'}")]


def test_files_in_an_unsupported_format_are_counted_not_silently_dropped(tmp_path: Path) -> None:
    for side in ("noisy", "clean"):
        img(tmp_path / side / "a.gif")
        img(tmp_path / side / "b.gif")
    with pytest.raises(DataError, match=r"no noisy/clean pairs found \(2 files of other types \(2 \.gif\) "
                                        r"in .*noisy; 2 files .*clean; docclean reads .*\.png") as info:
        find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert "0 files could not be paired" not in str(info.value)
    (tmp_path / "noisy" / "b.gif").unlink()
    img(tmp_path / "noisy" / "c.png")
    img(tmp_path / "clean" / "a.png")
    img(tmp_path / "clean" / "c.png")
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")  # c pairs; a.gif is said to be unreadable
    assert [p.noisy.name for p in scan.pairs] == ["c.png"]
    assert (tmp_path / "clean" / "a.png", f"clean page without a noisy page ({tmp_path / 'noisy' / 'a.gif'} is in "
            "an unsupported format)") in scan.unmatched
    assert (tmp_path / "noisy", "1 file of another type (.gif)") in scan.unmatched


def test_an_empty_folder_is_called_empty(tmp_path: Path) -> None:
    img(tmp_path / "clean" / "a.png")
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / ".DS_Store").write_bytes(b"")
    with pytest.raises(DataError, match="no noisy/clean pairs found: the folder holds no files") as info:
        find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert info.value.path == tmp_path / "noisy"
    (tmp_path / "clean" / "a.png").unlink()
    with pytest.raises(DataError, match="no noisy/clean pairs found: the folder holds no files"):
        find_pairs(tmp_path / "noisy", tmp_path / "clean")  # both empty: not "0 files could not be paired"


def test_a_trimmed_clean_page_is_lined_up_where_it_matches_and_said(tmp_path: Path) -> None:
    page = RNG.integers(0, 256, (40, 50), dtype=np.uint8)
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png")
    Image.fromarray(page).save(tmp_path / "noisy" / "a.png")
    Image.fromarray(page[2:-2, 3:-1]).save(tmp_path / "clean" / "a.png")  # trimmed unevenly: 4 px narrower
    pair = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs[0]
    notes: list[str] = []
    noisy, clean = read_pair(pair, notes=notes)
    assert noisy.shape == clean.shape == (36, 46) and np.array_equal(noisy, clean)  # not cropped top-left
    assert notes == [f"{pair.noisy}: page 1 is 50x40 but {pair.clean} is 46x36; lined up where they match best "
                     "(the clean page 3 px right and 2 px down over the scan), both cropped to 46x36"]


def test_pairs_in_a_linked_subfolder_are_found_as_docclean_clean_finds_them(tmp_path: Path) -> None:
    for side in ("noisy", "clean"):
        img(tmp_path / side / "top.png")
        img(tmp_path / "store" / side / "deep.png")
        (tmp_path / side / "more").symlink_to(tmp_path / "store" / side, target_is_directory=True)
        img(tmp_path / side / ".hidden" / "h.png")  # hidden folders and files stay out, as before
        (tmp_path / side / ".DS_Store").write_bytes(b"x")
    (tmp_path / "noisy" / "notes.txt").write_text("x")
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [p.relative for p in scan.pairs] == ["more/deep.png", "top.png"]
    assert [(path.name, why) for path, why in scan.unmatched] == [
        ("noisy", "1 file of another type (.txt)")]


def test_reading_pairs_stops_when_asked(tmp_path: Path) -> None:
    from docclean.errors import Cancelled
    from docclean.pairs import read_pairs

    for name in ("a", "b"):
        img(tmp_path / "noisy" / f"{name}.png")
        img(tmp_path / "clean" / f"{name}.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    asked = []
    with pytest.raises(Cancelled):
        read_pairs(pairs, stop=lambda: asked.append(1) or len(asked) > 1)
    assert len(asked) == 2  # asked per pair: the first was read, the second not


def test_a_subfolder_that_cannot_be_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import docclean.walk

    for side in ("noisy", "clean"):
        img(tmp_path / side / "a.png")
        img(tmp_path / side / "sub" / "b.png")
    real = os.scandir

    def scandir(folder):  # noqa: ANN001, ANN202 - as a folder of another owner, mode 700, reads
        if Path(folder).name == "sub" and Path(folder).parent.name == "noisy":
            raise PermissionError(13, "Permission denied")
        return real(folder)

    monkeypatch.setattr(docclean.walk.os, "scandir", scandir)
    scan = find_pairs(tmp_path / "noisy", tmp_path / "clean")
    assert [p.relative for p in scan.pairs] == ["a.png"]
    assert (tmp_path / "noisy" / "sub", "cannot read this folder (Permission denied); its pages are not paired"
            ) in scan.unmatched
