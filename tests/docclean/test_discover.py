"""Glob patterns in INPUT (docclean.discover): ``**`` walks folders as a folder input does."""

from pathlib import Path

import pytest
from PIL import Image

from docclean.discover import discover


def _page(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), 200).save(path)


def test_a_double_star_pattern_visits_each_folder_once_through_a_link_back_up(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _page(tmp_path / "a" / "x.png")
    _page(tmp_path / "a" / "sub" / "y.png")
    (tmp_path / "a" / "loop").symlink_to(".", target_is_directory=True)  # glob's ** went 40 levels down it
    monkeypatch.chdir(tmp_path)
    jobs = discover(["a/**/*.png"], Path("out"))
    assert [(str(j.source), str(j.target)) for j in jobs] == [("a/sub/y.png", "out/sub/y.png"),
                                                               ("a/x.png", "out/x.png")]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("a/**/x.png", ["a/b/c/x.png", "a/b/x.png", "a/x.png"]),  # ** is any number of folders, none too
    ("a/*/x.png", ["a/b/x.png"]),  # * stays within one folder
    ("a/**/c/*.png", ["a/b/c/x.png"]),
    ("**/c/x.png", ["a/b/c/x.png"]),
    ("a/**", ["a/b/c/x.png", "a/b/x.png", "a/x.png"]),  # every file below, hidden ones left out
])
def test_double_star_matches_as_glob_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str,
                                          expected: list[str]) -> None:
    for name in ("a/x.png", "a/b/x.png", "a/b/c/x.png", "a/.hidden/x.png"):
        _page(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert [str(j.source) for j in discover([pattern], Path("out")) if j.error is None] == expected


def test_a_file_keeping_its_own_name_wins_a_clash_with_one_renamed_onto_it(tmp_path: Path) -> None:
    _page(tmp_path / "a.jpg")
    _page(tmp_path / "a.png")
    jobs = {j.source.name: j for j in discover([str(tmp_path)], tmp_path / "out", "png")}
    assert jobs["a.png"].error is None  # a.png's output is a.png; sorted first, a.jpg took it before
    assert jobs["a.jpg"].error.startswith(f"output {tmp_path / 'out' / 'a.png'} (or a-p001.png... for a multi-page "
                                          f"file) is already the output of {tmp_path / 'a.png'}")
