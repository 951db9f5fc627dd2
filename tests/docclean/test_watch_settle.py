"""The hot folder's settle of tries cut short (docclean.watchattempt) against what else may be in
OUT: a copy that cannot go back, another run writing there, a later `docclean clean` of the same
name, a note or a link that is not what it seems (cases a tester found, 2026-12-06)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from docclean.batch import clean_batch
from docclean.errors import OutputError
from docclean.outputs import output_lock
from docclean.settings import CleanSettings
from tests.docclean.watchkit import Clock, make, out_files, png_bytes, settle, tiff_bytes


def cut_short(out: Path, target: str, key: str, earlier: dict[str, bytes], written: dict[str, bytes]) -> Path:
    """OUT as a watcher killed mid-try leaves it: the try's set-aside folder for ``target`` holding
    the ``earlier`` outputs (and its note), and the pages it had ``written`` over them in OUT."""
    folder = out / f".{target}.docclean-earlier"
    folder.mkdir(parents=True)
    for name, data in earlier.items():
        (folder / name).write_bytes(data)
        (out / name).write_bytes(data)
    (folder / ".docclean-try.json").write_text(json.dumps({"key": key, "target": target, "kept": sorted(earlier)}))
    for name, data in written.items():
        (out / name).write_bytes(data)
    return folder


def test_a_copy_that_cannot_go_back_is_kept_and_said_and_never_written_over(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                           monkeypatch):
    # The settle removed the folder whatever the put-back did: a page that could not go back (a
    # folder made read-only) was lost; and a later try's copy fallback wrote over the one left.
    inbox, out = folders
    folder = cut_short(out, "scan.png", "scan.png", {"scan.png": b"the earlier page"}, {"scan.png": b"the try's"})
    real = os.replace

    def refused(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(src).parent == folder:
            raise PermissionError(13, "Permission denied")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refused)
    notices: list[str] = []
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    watcher.poll_once()
    assert (folder / "scan.png").read_bytes() == b"the earlier page"
    assert len(notices) == 2 and "putting back" in notices[0]  # said first, then what could not go back
    assert "could not put back" in notices[1] and "Permission denied" in notices[1]
    (inbox / "scan.png").write_bytes(png_bytes(1))
    with pytest.raises(OutputError, match="could not put back"):
        settle(watcher, clock)  # the watcher stops, saying why, rather than clean over the only copy
    assert (folder / "scan.png").read_bytes() == b"the earlier page"


def test_the_settle_at_start_leaves_a_folder_another_run_is_writing_to(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    # A `docclean clean` writing to OUT as the watcher started had its pages taken for the killed try's.
    inbox, out = folders
    folder = cut_short(out, "scan.png", "scan.png", {"scan.png": b"the earlier page"}, {})
    (out / "scan-p002.png").write_bytes(b"another run's page")
    before = out_files(out)
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, Clock(), on_notice=notices.append)
    with output_lock(out, within=[out]):
        watcher.poll_once()
    assert out_files(out) == before and folder.is_dir()
    assert len(notices) == 1 and "another docclean run is writing there" in notices[0]


def test_a_docclean_clean_of_the_name_after_a_kill_keeps_its_pages(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    # Killed mid-try, then the scan cleaned by hand into OUT and taken out of IN: the next watcher
    # took the clean's pages for the killed try's, removed them and put the older pages back.
    inbox, out = folders
    older = {"scan-p001.png": png_bytes(10), "scan-p002.png": png_bytes(11)}
    cut_short(out, "scan.png", "scan.tif", older, {"scan-p001.png": png_bytes(12)})  # the killed try's page 1
    scan = tmp_path / "by-hand" / "scan.tif"
    scan.parent.mkdir()
    scan.write_bytes(tiff_bytes(3, seed=90))
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png", overwrite=True)
    assert clean_batch([scan], out, settings).exit_code == 0
    cleaned = {name: data for name, data in out_files(out).items() if not name.startswith(".")}
    assert sorted(cleaned) == ["scan-p001.png", "scan-p002.png", "scan-p003.png"]
    notices: list[str] = []
    make(inbox, out, tiny_model_path, Clock(), fmt="png", on_notice=notices.append).poll_once()
    assert out_files(out) == cleaned and notices == []


def test_a_note_naming_another_output_removes_nothing(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    folder = out / ".a.png.docclean-earlier"
    folder.mkdir(parents=True)
    (folder / ".docclean-try.json").write_text(json.dumps({"key": "b.png", "target": "b.png", "kept": []}))
    (out / "b.png").write_bytes(b"b's output")
    make(inbox, out, tiny_model_path, Clock()).poll_once()
    assert out_files(out) == {"b.png": b"b's output"}


def test_a_link_in_place_of_a_set_aside_folder_is_never_followed(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "scan.png").write_bytes(b"not OUT's")
    out.mkdir()
    (out / ".scan.png.docclean-earlier").symlink_to(elsewhere)
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    (inbox / "scan.png").write_bytes(png_bytes(2))
    assert settle(watcher, clock) == ["cleaned"]
    assert (elsewhere / "scan.png").read_bytes() == b"not OUT's" and sorted(os.listdir(elsewhere)) == ["scan.png"]
    assert not (out / ".scan.png.docclean-earlier").is_symlink()


def test_a_settle_is_said_before_it_acts_so_a_kill_meanwhile_leaves_it_told(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                            monkeypatch):
    # The line came after the settle: a watcher killed in between had put back and removed files
    # without a word, and the next start found nothing left to tell.
    from docclean.errors import Terminated

    inbox, out = folders
    folder = cut_short(out, "scan.png", "scan.tif", {"scan-p001.png": b"earlier 1"}, {"scan-p002.png": b"the try's"})
    real = os.replace

    def killed_after(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(src, dst, *args, **kwargs)
        if Path(src).parent == folder:
            raise Terminated("killed")  # right after the first page went back

    monkeypatch.setattr(os, "replace", killed_after)
    notices: list[str] = []
    with pytest.raises(Terminated):
        make(inbox, out, tiny_model_path, Clock(), on_notice=notices.append).poll_once()
    [said] = notices
    assert f"cleaning {inbox / 'scan.tif'} was cut short" in said
    assert f"putting back the earlier scan's {out / 'scan-p001.png'}" in said
    assert f"removing what it had written ({out / 'scan-p002.png'})" in said


def test_a_settle_lists_the_outputs_folder_once(folders, monkeypatch):  # type: ignore[no-untyped-def]
    # It was listed three times: for the try's outputs, again to remove them, and for its page in hand.
    from docclean.watchattempt import settle_folder
    from docclean.watchrecord import LEDGER_NAME, Ledger
    from tests.docclean.test_outputs import Listings

    inbox, out = folders
    folder = cut_short(out, "scan.png", "scan.tif", {"scan-p001.png": b"earlier 1"}, {"scan-p002.png": b"the try's"})
    (out / ".scan-p003.png.docclean-4194999-0123abcd.part").write_bytes(b"half")  # no such pid: above pid_max
    for n in range(50):
        (out / f"other-{n}.png").write_bytes(b"another scan's")
    listings = Listings(monkeypatch)
    said: list[str] = []
    settle_folder(folder, out, Ledger(out / LEDGER_NAME), inbox, said.append)
    monkeypatch.undo()
    assert listings.of.get(out.absolute()) == 1 and listings.of.get(folder.absolute()) == 1
    assert "scan-p003.png.docclean-4194999-0123abcd.part" in str(said)
    assert sorted(n for n in os.listdir(out) if not n.startswith("other-")) == ["scan-p001.png"]


def test_a_settle_left_at_start_for_another_run_is_said_when_its_name_is_tried(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    # The start said "settled when that name is cleaned next", and then that settle (pages put
    # back, the killed try's removed) happened without a word.
    inbox, out = folders
    folder = cut_short(out, "scan.png", "scan.tif", {"scan-p001.png": png_bytes(10)}, {"scan-p002.png": png_bytes(11)})
    notices: list[str] = []
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png", on_notice=notices.append)
    with output_lock(out, within=[out]):
        watcher.poll_once()
    assert len(notices) == 1 and "settled when that name is cleaned next" in notices[0]
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=70))
    assert settle(watcher, clock) == ["cleaned"]
    assert notices[1:] == [f"cleaning {inbox / 'scan.tif'} was cut short when the watcher last ran (killed, or the "
                           f"power went): putting back the earlier scan's {out / 'scan-p001.png'}; removing what "
                           f"it had written ({out / 'scan-p002.png'})"]  # the start's words, before it acts
    assert not folder.exists()
