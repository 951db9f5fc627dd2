"""Training and validation kept apart (docclean.pairsplit)."""

from pathlib import Path

import pytest

from docclean.errors import DataError, UsageError
from docclean.pairs import find_pairs
from docclean.pairsplit import check_apart, group_pairs, split_pairs
from tests.docclean.test_pairs import img


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
        train, val = split_pairs(pairs, 0.2, seed=seed, pattern=r"^([a-z]+)_")
        assert len(val) == 2 and len(train) == 8, seed  # two of the one-page groups, never the five-page one
    groups_of_two = [p for p in pairs if p.noisy.stem.startswith(("big", "a_"))]  # sizes 5 and 1, share 0.2
    assert [len(part) for part in split_pairs(groups_of_two, 0.2, pattern=r"^([a-z]+)_")] == [5, 1]

def test_a_bad_group_pattern_is_named(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    with pytest.raises(DataError, match="not a regular expression"):
        group_pairs(pairs, "(")


def test_a_single_pair_is_told_to_bring_a_validation_set(tmp_path: Path) -> None:
    img(tmp_path / "noisy" / "a.png")
    img(tmp_path / "clean" / "a.png")
    pairs = find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs
    with pytest.raises(DataError, match="only one pair.*--val-noisy"):
        split_pairs(pairs, 0.2)


def test_the_group_pattern_sees_paths_relative_to_the_noisy_folder(tmp_path: Path) -> None:
    root = tmp_path / "hunt2"  # digits and letters above the folder must not count
    for name in ("a_1.png", "a_2.png", "b_3.png", "sub/c_4.png"):
        img(root / "noisy" / name)
        img(root / "clean" / name)
    pairs = find_pairs(root / "noisy", root / "clean").pairs
    assert sorted(p.name for p in pairs) == ["a_1.png", "a_2.png", "b_3.png", "sub/c_4.png"]
    by_name = group_pairs(pairs, r"^([a-z]+)_")  # a file it does not match is a group of its own
    assert {key: len(group) for key, group in by_name.items()} == {"a": 2, "b": 1, "\0sub/c_4.png": 1}
    assert sorted(group_pairs(pairs, r"^([a-z]+)[_/]")) == ["a", "b", "sub"]  # "/" between folders
    assert sorted(group_pairs(pairs, r"(\d+)")) == ["1", "2", "3", "4"]
    with pytest.raises(UsageError, match=r"'\^x' matches no noisy file .*relative to the noisy folder"):
        group_pairs(pairs, "^x")
    with pytest.raises(UsageError, match="matches no noisy file"):
        split_pairs(pairs, 0.5, pattern="hunt")


def test_a_validation_set_sharing_originals_with_training_is_refused(tmp_path: Path) -> None:
    for i in range(3):
        img(tmp_path / "train" / "noisy" / f"p{i}.png")
        img(tmp_path / "train" / "clean" / f"p{i}.png")
    img(tmp_path / "val" / "noisy" / "other.png")
    img(tmp_path / "val" / "clean" / "other.png")
    train = find_pairs(tmp_path / "train" / "noisy", tmp_path / "train" / "clean").pairs
    val = find_pairs(tmp_path / "val" / "noisy", tmp_path / "val" / "clean").pairs
    check_apart(train, val)  # other pages: fine
    # A copy of a training pair under another name, and another scan of a training page's original.
    copy_dir = tmp_path / "val"
    (copy_dir / "noisy" / "renamed.png").write_bytes((tmp_path / "train" / "noisy" / "p1.png").read_bytes())
    (copy_dir / "clean" / "renamed.png").write_bytes((tmp_path / "train" / "clean" / "p1.png").read_bytes())
    img(copy_dir / "noisy" / "rescan.png")
    (copy_dir / "clean" / "rescan.png").write_bytes((tmp_path / "train" / "clean" / "p2.png").read_bytes())
    val = find_pairs(copy_dir / "noisy", copy_dir / "clean").pairs
    with pytest.raises(DataError, match=r"validation page .*renamed.png has the same clean page as training page "
                                        r".*p1.png and 1 more"):
        check_apart(train, val)
    with pytest.raises(DataError, match="also training pages"):
        check_apart(train, train[:1])
