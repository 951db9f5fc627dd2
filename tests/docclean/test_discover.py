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
    ("a/**/b", ["a/b/c/x.png", "a/b/x.png"]),  # a folder it matches: the files below it, as bash's globstar
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


def test_list_sources_with_an_output_never_walks_it_as_discover_does(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean import formats
    from docclean.discover import list_sources

    for name in ("scans/a.png", "scans/sub/b.png", "scans/clean/a.png", "scans/clean/deep/c.png", "only/clean/d.png"):
        _page(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    looked_at: list[Path] = []
    supported = formats.is_supported
    monkeypatch.setattr(formats, "is_supported", lambda path: looked_at.append(Path(path)) or supported(path))
    out = Path("scans/clean")
    inputs = ["scans", "scans/**/*.png", "scans/clean/a.png"]  # the last named itself: listed wherever it lies
    files, problems = list_sources(inputs, output=out)
    assert [str(f) for f in files] == ["scans/a.png", "scans/sub/b.png", "scans/clean/a.png"] and not problems
    assert [p for p in looked_at if p.is_relative_to(out)] == [Path("scans/clean/a.png")]  # only the file named
    # The rule is discover's: what `docclean clean scans 'scans/**/*.png' -o scans/clean` cleans.
    assert [j.source for j in discover(inputs[:2], out) if j.error is None] == files[:2]
    # A folder holding only earlier outputs says why it names no files; without an output, as before.
    assert list_sources(["only"], output="only/clean")[1] == [
        f"only: no supported files in this folder (looked for {', '.join(sorted(formats.SUPPORTED_SUFFIXES))}); "
        "the output folder only/clean inside it is left out"]
    assert [str(f) for f in list_sources(["only"])[0]] == ["only/clean/d.png"]


def test_list_sources_tells_how_many_files_it_found_as_the_walk_goes(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The desktop app says how far the walk of an archive got ("finding files: 1,234 so far").
    from docclean import formats
    from docclean.discover import list_sources

    for name in ("scans/a.png", "scans/sub/b.png", "scans/sub/c.png", "loose.png"):
        _page(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    looked_at = 0
    supported = formats.is_supported

    def counted(path: Path) -> bool:
        nonlocal looked_at
        looked_at += 1
        return supported(path)

    monkeypatch.setattr(formats, "is_supported", counted)
    told: list[tuple[int, int]] = []  # (files found so far, files the walk had looked at by then)
    inputs = ["scans", "loose.png", "scans/a.png"]  # the last is listed once, not twice
    files, problems = list_sources(inputs, found=lambda n: told.append((n, looked_at)))
    assert [str(f) for f in files] == ["scans/a.png", "scans/sub/b.png", "scans/sub/c.png", "loose.png"]
    assert not problems
    assert told[:3] == [(1, 1), (2, 2), (3, 3)]  # told as each file is found, not once the walk is done
    assert [n for n, _ in told] == [1, 2, 3, 4]  # each file once: "scans/a.png" named again is not counted again
    assert list_sources(inputs) == (files, problems)  # without ``found``, as before


def _looked_at(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the walk looks at (asks whether they are supported), in order."""
    from docclean import formats

    looked: list[Path] = []
    supported = formats.is_supported
    monkeypatch.setattr(formats, "is_supported", lambda path: looked.append(Path(path)) or supported(path))
    return looked


def test_list_sources_stops_at_the_next_file_once_stop_is_asked(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The desktop app's Stop: a folder of 300,000 scans opened by mistake was walked to its end.
    from docclean.discover import list_sources
    from docclean.errors import Cancelled

    _page(tmp_path / "scans" / "a.png")
    for i in range(60):  # one file, many names: the walk does not read them
        (tmp_path / "scans" / "sub").mkdir(exist_ok=True)
        (tmp_path / "scans" / "sub" / f"{i:02d}.png").hardlink_to(tmp_path / "scans" / "a.png")
    monkeypatch.chdir(tmp_path)
    looked = _looked_at(monkeypatch)
    for inputs in (["scans"], ["scans/**/*.png"]):  # a folder, and a pattern's ** walk
        looked.clear()
        with pytest.raises(Cancelled):
            list_sources(inputs, stop=lambda: len(looked) >= 5)  # asked once 5 files were looked at
        assert len(looked) == 5, inputs  # ended before the next file, not after all 61
    looked.clear()
    with pytest.raises(Cancelled):  # asked before the walk began: not one file looked at
        list_sources(["scans"], stop=lambda: True)
    assert looked == []
    assert len(list_sources(["scans"], stop=lambda: False)[0]) == 61  # never asked to stop: the whole folder


def test_list_sources_walks_a_folder_named_twice_or_inside_another_once(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # "Open folder" twice on one folder, or a folder dropped with a subfolder of it, walked it twice.
    from docclean.discover import list_sources

    for name in ("scans/a.png", "scans/sub/b.png", "scans/.hidden/c.png", "scans/sub/deep/d.png"):
        _page(tmp_path / name)
    (tmp_path / "scans" / "notes").mkdir()
    (tmp_path / "scans" / "notes" / "n.txt").write_text("no scan")
    monkeypatch.chdir(tmp_path)
    looked = _looked_at(monkeypatch)
    files, problems = list_sources(["scans", "scans/sub", "scans/", "scans/sub/deep"])
    assert [str(f) for f in files] == ["scans/a.png", "scans/sub/b.png", "scans/sub/deep/d.png"]
    assert problems == ["scans: 1 file of another type (.txt) left out: docclean does not read them"]
    assert sorted(map(str, looked)) == ["scans/a.png", "scans/notes/n.txt", "scans/sub/b.png", "scans/sub/deep/d.png"]
    # What a second walk could add is still listed, and its problem still said: a hidden folder the
    # first walk left out, a folder with no scans (once for each time it is named).
    files, problems = list_sources(["scans", "scans/.hidden", "scans/notes", "scans/notes"])
    assert [str(f) for f in files] == ["scans/a.png", "scans/sub/b.png", "scans/sub/deep/d.png",
                                       "scans/.hidden/c.png"]
    assert [p.split(":")[0] for p in problems] == ["scans", "scans/notes", "scans/notes"]


def test_files_of_other_types_in_an_input_folder_are_told_not_dropped_without_a_word(tmp_path: Path) -> None:
    # An archive's JPEG 2000 masters, GIFs and scans saved without a suffix vanished from a run:
    # "1 cleaned, 0 skipped, 0 failed".
    _page(tmp_path / "in" / "a.png")
    for name in ("b.gif", "c.jp2", "scan0001", "sub/d.xml", "sub/e.xml", ".hidden.gif", ".meta/f.xml"):
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_bytes(b"not read")
    told: list[tuple[str, list[Path]]] = []
    jobs = discover([str(tmp_path / "in")], tmp_path / "out", left_out=lambda item, files: told.append((item, files)))
    assert [j.source.name for j in jobs] == ["a.png"]
    assert [(item, sorted(f.name for f in files)) for item, files in told] == [
        (str(tmp_path / "in"), ["b.gif", "c.jp2", "d.xml", "e.xml", "scan0001"])]  # hidden ones are no one's scans
    from docclean.discover import other_files

    assert other_files(told[0][1]) == "5 files of other types (2 .xml, 1 .gif, 1 .jp2, 1 without a suffix)"
    assert other_files([Path("x.GIF")]) == "1 file of another type (.gif)"


def test_a_folder_of_other_files_only_says_what_it_holds(tmp_path: Path) -> None:
    for name in ("b.gif", "c.jp2"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(b"not read")
    told: list[str] = []
    [job] = discover([str(tmp_path / "in")], tmp_path / "out", left_out=lambda item, files: told.append(item))
    assert job.error is not None and job.error.startswith("no supported files in this folder (looked for ")
    assert job.error.endswith("; it holds 2 files of other types (1 .gif, 1 .jp2))") and told == []


def _unreadable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed (no permission: root reads a chmod 000 folder all the same)."""
    import os

    import docclean.walk

    scandir = os.scandir

    def refusing(path):  # noqa: ANN001, ANN202
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(docclean.walk.os, "scandir", refusing)


def test_a_subfolder_that_cannot_be_read_fails_instead_of_vanishing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # "8 cleaned, 0 skipped, 0 failed", exit 0, with a subfolder's scans never seen.
    from docclean.discover import list_sources

    _page(tmp_path / "in" / "a.png")
    _page(tmp_path / "in" / "locked" / "b.png")
    _unreadable(monkeypatch, tmp_path / "in" / "locked")
    jobs = discover([str(tmp_path / "in")], tmp_path / "out")
    assert [(j.source, j.error) for j in jobs] == [
        (tmp_path / "in" / "a.png", None),
        (tmp_path / "in" / "locked", "cannot read this folder (Permission denied); the scans in it are not cleaned")]
    files, problems = list_sources([tmp_path / "in"])
    assert files == [tmp_path / "in" / "a.png"]
    assert problems == [f"{tmp_path / 'in' / 'locked'}: cannot read this folder (Permission denied); "
                        "the scans in it are not cleaned"]
    _unreadable(monkeypatch, tmp_path / "in")  # the folder named itself
    [job] = discover([str(tmp_path / "in")], tmp_path / "out")
    assert job.error == "cannot read this folder (Permission denied); the scans in it are not cleaned"


def _scans(root: Path) -> None:
    """scans/ with two dated folders, a loose scan, a JPEG 2000 master, a scan without a suffix, a
    hidden folder and a link back up the tree."""
    for name in ("scans/2024-01/a.png", "scans/2024-02/b.png", "scans/2024-02/deep/c.png", "scans/loose.png",
                 "scans/.hidden/h.png"):
        _page(root / name)
    for name in ("scans/master.jp2", "scans/noext", "scans/2024-01/notes.xml"):
        (root / name).write_bytes(b"not read")
    (root / "scans" / "2024-02" / "deep" / "up").symlink_to("..", target_is_directory=True)


def _cleaned(inputs: list[str], out: str, told: list | None = None) -> list[tuple[str, str]]:
    left_out = None if told is None else lambda item, files: told.append((item, sorted(map(str, files))))
    return [(str(j.source), str(j.target)) for j in discover(inputs, Path(out), left_out=left_out) if j.error is None]


def test_a_quoted_glob_that_matches_folders_walks_them_as_the_shell_expanded_one_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `docclean clean 'scans/*'` cleaned scans/loose.png alone, exit 0, not a word of the two
    # folders' scans, of the master nor of the scan without a suffix.
    import glob

    from docclean.discover import list_sources

    _scans(tmp_path)
    monkeypatch.chdir(tmp_path)
    told: list = []
    quoted = _cleaned(["scans/*"], "out", told)
    assert quoted == _cleaned(sorted(glob.glob("scans/*")), "out")  # as the shell gives it (Windows' has none)
    assert quoted == [("scans/2024-01/a.png", "out/a.png"), ("scans/2024-02/b.png", "out/b.png"),
                      ("scans/2024-02/deep/c.png", "out/deep/c.png"), ("scans/loose.png", "out/loose.png")]
    assert told == [("scans/*", ["scans/2024-01/notes.xml", "scans/master.jp2", "scans/noext"])]
    files, problems = list_sources(["scans/*"])  # the desktop app lists what a run cleans
    assert [str(f) for f in files] == [source for source, _ in quoted]
    assert problems == ["scans/*: 3 files of other types (1 .jp2, 1 .xml, 1 without a suffix) left out: "
                        "docclean does not read them"]


def test_a_glob_that_matches_only_a_folder_cleans_its_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `'scan?'` said "pattern matched no supported files", exit 2, of a folder holding 4 scans.
    _scans(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _cleaned(["scan?"], "out") == _cleaned(["scans"], "out") == [
        ("scans/loose.png", "out/loose.png"), ("scans/2024-01/a.png", "out/2024-01/a.png"),
        ("scans/2024-02/b.png", "out/2024-02/b.png"), ("scans/2024-02/deep/c.png", "out/2024-02/deep/c.png")]
    # Its output folder inside it is never walked as an input, however the pattern reaches it.
    _page(tmp_path / "scans" / "clean" / "loose.png")
    met: list[str] = []
    jobs = discover(["scan?", "scans/*"], Path("scans/clean"), warn=lambda item, message: met.append(item))
    assert sorted(str(j.source) for j in jobs if j.error is None) == [
        "scans/2024-01/a.png", "scans/2024-02/b.png", "scans/2024-02/deep/c.png", "scans/loose.png"]


def test_files_of_other_types_under_a_glob_are_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `'scans/**'` found the scans and dropped the master and the scan without a suffix silently.
    from docclean import formats

    _scans(tmp_path)
    monkeypatch.chdir(tmp_path)
    told: list = []
    assert [source for source, _ in _cleaned(["scans/**"], "out", told)] == [
        "scans/2024-01/a.png", "scans/2024-02/b.png", "scans/2024-02/deep/c.png", "scans/loose.png"]
    assert told == [("scans/**", ["scans/2024-01/notes.xml", "scans/master.jp2", "scans/noext"])]
    told.clear()
    _cleaned(["scans/**/*.png", "scans/*.png"], "out", told)
    assert told == []  # what the pattern itself leaves out is no one's scan
    (tmp_path / "scans" / "2024-02" / "jan").symlink_to("../2024-01", target_is_directory=True)
    told.clear()
    _cleaned(["scans/2024-0?"], "out", told)
    assert told == [("scans/2024-0?", ["scans/2024-01/notes.xml"])]  # reached twice, told once
    [job] = discover(["scans/*.jp2"], Path("out"))
    looked_for = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))
    assert job.error == (f"pattern matched no supported files (looked for {looked_for}; "
                         "it found 1 file of another type (.jp2))")
