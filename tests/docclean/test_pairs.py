"""Pairing noisy and clean folders: by relative path and stem, every page, problems named up front,
groups kept together in the split."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.errors import DataError
from docclean.pairs import check_pairs, find_pairs, group_pairs, read_pair, split_pairs

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


def test_split_keeps_scans_of_one_original_together(tmp_path: Path) -> None:
    originals = [img(tmp_path / "orig" / f"o{i}.png") for i in range(5)]
    for i, original in enumerate(originals):
        for k in range(3):  # three noisy scans of each original
            img(tmp_path / "noisy" / f"t{i}_{k}.png")
            (tmp_path / "clean").mkdir(exist_ok=True)
            (tmp_path / "clean" / f"t{i}_{k}.png").write_bytes(original.read_bytes())
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    assert len(group_pairs(pairs)) == 5
    train, val = split_pairs(pairs, 0.4, seed=3)
    assert len(train) + len(val) == 15 and len(val) % 3 == 0 and 3 <= len(val) <= 9
    texts = lambda ps: {p.noisy.name.split("_")[0] for p in ps}  # noqa: E731
    assert not texts(train) & texts(val)
    assert split_pairs(pairs, 0.4, seed=3) == (train, val)  # seeded
    by_pattern = group_pairs(pairs, r"(t\d)_")
    assert sorted(by_pattern) == ["t0", "t1", "t2", "t3", "t4"]


def test_one_large_group_does_not_fill_the_validation_split(tmp_path: Path) -> None:
    for name in ["big_0", "big_1", "big_2", "big_3", "big_4", "a_0", "b_0", "c_0", "d_0", "e_0"]:
        img(tmp_path / "noisy" / f"{name}.png")
        img(tmp_path / "clean" / f"{name}.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    for seed in range(8):  # whatever the shuffle puts first
        train, val = split_pairs(pairs, 0.2, seed=seed, pattern=r"noisy/([a-z]+)_")
        assert len(val) == 2 and len(train) == 8, seed  # two of the one-page groups, never the five-page one
    groups_of_two = [p for p in pairs if p.noisy.stem.startswith(("big", "a_"))]  # sizes 5 and 1, share 0.2
    assert [len(part) for part in split_pairs(groups_of_two, 0.2, pattern=r"noisy/([a-z]+)_")] == [5, 1]

def test_a_bad_group_pattern_is_named(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    with pytest.raises(DataError, match="not a regular expression"):
        group_pairs(pairs, "(")


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


def test_a_single_pair_is_told_to_bring_a_validation_set(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    with pytest.raises(DataError, match="only one pair.*--val-noisy"):
        split_pairs(pairs, 0.2)


def test_long_lists_of_problems_show_the_first_few_and_a_count(tmp_path: Path) -> None:
    from docclean.pairs import _listing

    assert _listing(["a", "b"], 5) == "a; b" and _listing([], 5) == ""
    assert _listing([str(i) for i in range(7)], 5) == "0; 1; 2; 3; 4; and 2 more"
    for i in range(7):
        img(tmp_path / "noisy" / f"n{i}.png")
    (tmp_path / "clean").mkdir()
    with pytest.raises(DataError, match=r"\(7 files could not be paired: .*n\d\.png: no clean page .*; and 2 more\)"):
        find_pairs(tmp_path / "noisy", tmp_path / "clean")
