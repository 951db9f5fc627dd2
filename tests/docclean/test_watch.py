"""The hot-folder watcher, driven step by step with a fake clock (helpers in ``watchkit``): a file
written in chunks is taken once and only when complete; a restart does not redo files; bad files go
to failed/ with their reason; files in done/ inside the inbox are not taken again; folders that
could put one file over another are refused; the output's faults stop the watcher."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from PIL import Image

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Ledger, Watcher
from tests.docclean.watchkit import (
    Clock,
    make,
    png_bytes,
    settle,
    settled,
)


def test_file_written_in_chunks_is_taken_once_when_complete(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    (inbox / "scan.png").touch()  # created empty: the scanner has not begun writing
    watcher.poll_once()
    clock.now += 10
    assert watcher.poll_once() == []  # an empty file is never taken, however long it stays so
    data = png_bytes()
    chunks = [data[i:i + 200] for i in range(0, len(data), 200)]
    assert len(chunks) >= 4
    with (inbox / "scan.png").open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            assert watcher.poll_once() == []  # still growing: never taken
            clock.now += 1.5  # less than the settle time between chunks
    assert watcher.poll_once() == []  # complete, but not yet stable for 2 s since first seen so
    clock.now += 2.5
    outcomes = watcher.poll_once()
    assert [o.status for o in outcomes] == ["cleaned"]
    assert outcomes[0].targets == [out / "scan.png"] and outcomes[0].pages == 1
    assert "(1 page," in outcomes[0].summary()
    assert Image.open(out / "scan.png").size == (40, 48)
    clock.now += 10
    assert watcher.poll_once() == []  # once only
    assert "scan.png" in Ledger(out / LEDGER_NAME).entries


def test_restart_does_not_redo_files_but_redoes_a_replaced_one(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    first = make(inbox, out, tiny_model_path, clock)
    first.poll_once()
    clock.now += 3
    assert [o.source.name for o in first.poll_once()] == ["a.png"]
    assert (out / "sub" / "a.png").exists()
    mtime = (out / "sub" / "a.png").stat().st_mtime_ns

    second = make(inbox, out, tiny_model_path, clock)  # a restart: a fresh watcher, same folders
    for _ in range(3):
        assert second.poll_once() == []
        clock.now += 3
    assert (out / "sub" / "a.png").stat().st_mtime_ns == mtime

    (inbox / "sub" / "a.png").write_bytes(png_bytes(2, (40, 40)))  # a new scan under the same name
    assert settle(second, clock) == ["cleaned"]
    assert Image.open(out / "sub" / "a.png").size == (40, 40)


def test_done_and_failed_folders(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    done, failed = inbox / "done", inbox / "failed"  # inside the inbox: must not be taken again
    (inbox / "good.png").write_bytes(png_bytes(3))
    (inbox / "bad.png").write_bytes(b"this is not an image at all")
    (inbox / ".hidden.png").write_bytes(png_bytes(4))
    (inbox / "notes.txt").write_text("not a scan")
    clock = Clock()
    lines: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, done=done, failed=failed,
                   on_outcome=lambda o: lines.append(o.summary()))
    watcher.poll_once()
    clock.now += 3
    outcomes = {o.source.name: o for o in watcher.poll_once()}
    assert set(outcomes) == {"good.png", "bad.png"}
    assert outcomes["good.png"].status == "cleaned" and (done / "good.png").exists()
    assert outcomes["bad.png"].status == "failed" and (failed / "bad.png").exists()
    reason = (failed / "bad.png.error.txt").read_text()
    assert "bad.png" in reason and reason.count("\n") == 1
    assert not (inbox / "good.png").exists() and not (inbox / "bad.png").exists()
    assert (out / "good.png").exists() and not (out / "bad.png").exists()
    assert len(lines) == 2 and any(line.startswith("failed ") for line in lines)
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []
    # The same name arriving again does not overwrite what is in done/.
    (inbox / "good.png").write_bytes(png_bytes(5))
    [again] = settled(watcher, clock)
    assert again.moved_to == done / "good-1.png"


def test_a_linked_scan_moved_to_done_or_failed_still_leads_to_it(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "good.png").write_bytes(png_bytes(3))
    (ext / "bad.png").write_bytes(b"this is not an image at all")
    for name in ("good.png", "bad.png"):  # relative links, as `ln -s ../ext/good.png in/` makes them
        (inbox / name).symlink_to(os.path.join("..", "ext", name))
    done, failed = tmp_path / "archive" / "2026" / "done", inbox / "failed"  # at other depths than IN
    watcher = make(inbox, out, tiny_model_path, Clock(), done=done, failed=failed)
    outcomes = {o.source.name: o for o in settled(watcher, watcher.clock)}
    assert (outcomes["good.png"].status, outcomes["bad.png"].status) == ("cleaned", "failed")
    assert (out / "good.png").exists() and (failed / "bad.png.error.txt").exists()
    for moved, name in ((done / "good.png", "good.png"), (failed / "bad.png", "bad.png")):
        assert moved.is_symlink() and moved.exists() and moved.samefile(ext / name), os.readlink(moved)
        assert os.readlink(moved) == str((ext / name).resolve())
        assert not os.path.lexists(inbox / name)  # the link left IN; the user's file stayed where it was
        assert (ext / name).is_file() and not (ext / name).is_symlink()
    assert (ext / "good.png").read_bytes() == png_bytes(3)


def test_a_link_that_leads_nowhere_is_said_once(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "gone.png").symlink_to(os.path.join("..", "ext", "gone.png"))
    (inbox / "loop.png").symlink_to("loop.png")
    (inbox / "share").symlink_to(tmp_path / "unmounted")  # a link to a folder that is not there
    (inbox / "notes.txt").symlink_to("nothing.txt")  # not a scan's name: ignored like any such file
    notices: list[str] = []
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    for _ in range(4):
        assert watcher.poll_once() == []
        clock.now += 3
    assert notices == [
        f"{inbox / 'gone.png'}: a link that leads nowhere (it leads to ../ext/gone.png, which is not there); "
        "skipping it till it does",
        f"{inbox / 'loop.png'}: a link that leads nowhere (it loops back on itself); skipping it till it does",
        f"{inbox / 'share'}: a link that leads nowhere (it leads to {tmp_path / 'unmounted'}, which is not there); "
        "skipping it till it does"]
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "gone.png").write_bytes(png_bytes(3))  # it leads somewhere now: cleaned, nothing said
    assert settle(watcher, clock) == ["cleaned"] and len(notices) == 3
    (tmp_path / "ext" / "gone.png").unlink()  # and nowhere again: said again, once
    for _ in range(3):
        watcher.poll_once()
        clock.now += 3
    assert len(notices) == 4 and notices[3] == notices[0]


def test_bad_file_without_failed_folder_is_recorded_not_retried(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "bad.tif").write_bytes(b"II*\x00garbage")
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    [outcome] = settled(watcher, clock)
    assert outcome.status == "failed" and "bad.tif" in (outcome.error or "")
    entry = Ledger(out / LEDGER_NAME).entries["bad.tif"]
    assert entry["status"] == "failed" and entry["error"]
    restarted = make(inbox, out, tiny_model_path, clock)
    restarted.poll_once()
    clock.now += 3
    assert restarted.poll_once() == []


def test_a_failed_file_is_tried_again_once_its_permissions_change(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """chmod changes no size or mtime, only the inode's change time: a file that failed because it
    could not be read must be taken again once it can, without touching it (and after a restart)."""
    import docclean.io

    inbox, out = folders
    (inbox / "locked.png").write_bytes(png_bytes(3))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock)
    real_preflight = docclean.io._preflight

    def unreadable(path):  # type: ignore[no-untyped-def]  # as root, chmod 000 does not stop a read
        raise docclean.io.InputError("permission denied", path)

    monkeypatch.setattr(docclean.io, "_preflight", unreadable)
    assert settle(watcher, clock) == ["failed"]
    clock.now += 3
    assert watcher.poll_once() == []  # not retried while nothing changed
    monkeypatch.setattr(docclean.io, "_preflight", real_preflight)
    os.chmod(inbox / "locked.png", 0o644)  # the fix a user makes: the change time moves
    restarted = make(inbox, out, tiny_model_path, clock)
    assert settle(restarted, clock) == ["cleaned"]
    assert (out / "locked.png").exists()


def test_input_that_cannot_be_moved_is_recorded(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    blocked = tmp_path / "done"
    blocked.write_text("a file where the done folder should be")
    (inbox / "a.png").write_bytes(png_bytes(7))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=blocked)
    [outcome] = settled(watcher, clock)
    assert outcome.status == "cleaned" and "could not move" in outcome.summary()
    assert (inbox / "a.png").exists() and (out / "a.png").exists()
    clock.now += 3
    assert watcher.poll_once() == []  # recorded: not cleaned again


def test_output_folder_cannot_be_the_inbox(folders) -> None:  # type: ignore[no-untyped-def]
    from docclean.errors import DocCleanError

    inbox, _ = folders
    with pytest.raises(DocCleanError, match="input folder"):
        Watcher(inbox, inbox)


@pytest.mark.parametrize(("output", "done", "failed", "message"), [
    ("out", "out", None, "the done folder cannot be the output folder"),
    ("out", None, "out", "the failed folder cannot be the output folder"),
    ("out", "out/done", None, "the done folder cannot lie inside the output folder"),
    ("out", None, "out/sub/failed", "the failed folder cannot lie inside the output folder"),
    ("keep/out", "keep", None, "the done folder cannot contain the output folder"),
    ("keep/out", None, "keep", "the failed folder cannot contain the output folder"),
    ("box/in/out", "box/in/out", None, "the done folder cannot be the output folder"),
    ("box", None, None, "the output folder cannot contain the input folder"),
    ("out", "box", None, "the done folder cannot contain the input folder"),
    ("out", None, "box", "the failed folder cannot contain the input folder"),
    ("out", "link-to-out", None, "the done folder cannot be the output folder"),  # through a symlink
])
def test_folders_that_could_put_one_file_over_another_are_refused(tmp_path, output, done, failed, message):  # type: ignore[no-untyped-def]
    """The failed original moved to OUT/x.jpg was overwritten by a later x.jpg's output: refused at
    construction, before anything is created or moved."""
    from docclean.errors import UsageError

    (tmp_path / "box" / "in").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "link-to-out").symlink_to(tmp_path / "out")
    with pytest.raises(UsageError, match=f"^{re.escape(str(tmp_path))}/.*: {message}$"):
        Watcher(tmp_path / "box" / "in", tmp_path / output, done=done and tmp_path / done,
                failed=failed and tmp_path / failed)
    assert not (tmp_path / "keep").exists() and not list((tmp_path / "out").iterdir())
    assert [p.name for p in (tmp_path / "box").iterdir()] == ["in"]


@pytest.mark.parametrize(("output", "done", "failed"), [
    ("out", "moved", "moved"),  # one folder for both: moves never replace, error notes are never inputs
    ("out", "moved", "moved/failed"),
    ("out", "moved/done", "moved"),
    ("box/in/out", "box/in/done", "box/in/failed"),  # inside the inbox: skipped by the walk
    ("box/out", "box/done", "box/failed"),  # beside the inbox
    ("out", None, None),
])
def test_folders_that_cannot_collide_are_accepted(tmp_path, output, done, failed) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "box" / "in").mkdir(parents=True)
    watcher = Watcher(tmp_path / "box" / "in", tmp_path / output, done=done and tmp_path / done,
                      failed=failed and tmp_path / failed)
    assert watcher.output == tmp_path / output


def test_done_and_failed_in_one_folder_keep_every_original(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    moved = tmp_path / "moved"
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=moved, failed=moved)
    for data in (b"not an image", png_bytes(1), b"still not an image"):
        (inbox / "x.png").write_bytes(data)
        [outcome] = settled(watcher, clock)
        assert outcome.moved_to is not None and outcome.moved_to.read_bytes() == data
    assert sorted(p.name for p in moved.iterdir()) == ["x-1.png", "x-2.png", "x-2.png.error.txt", "x.png",
                                                      "x.png.error.txt"]


def test_a_page_that_lost_its_ink_carries_the_warning(folders, tmp_path):  # type: ignore[no-untyped-def]
    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():
        net.head.bias.fill_(1.0)  # paints every pixel white: the strokes are gone
    eraser = save_model(net, tmp_path / "eraser.safetensors", "docunet", net.config.to_dict(), {})
    inbox, out = folders
    page = np.full((48, 40), 220, np.uint8)
    page[10:40:6, 5:35] = 30  # lines of dark "text"
    Image.fromarray(page).save(inbox / "letter.png")
    clock = Clock()
    watcher = make(inbox, out, eraser, clock)
    watcher.poll_once()
    clock.now += 3
    outcome, = watcher.poll_once()
    assert outcome.status == "cleaned"
    assert outcome.warnings == ["page 1: cleaning removed 100% of the dark strokes; check this page"]


def test_an_input_folder_that_goes_away_forgets_nothing(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    (inbox / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    assert settle(watcher, clock) == ["cleaned"]
    inbox.rename(inbox.with_name("away"))  # a share unmounted, a folder renamed for a moment
    assert watcher.poll_once() == [] and "cannot list the input folder" in notices[0]
    assert "a.png" in Ledger(out / LEDGER_NAME).entries  # not forgotten
    inbox.with_name("away").rename(inbox)
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []  # not cleaned again
    assert notices[-1].endswith("the input folder is back")


def test_an_output_the_watcher_cannot_write_is_refused_at_start(folders, tiny_model_path, tmp_path):  # type: ignore[no-untyped-def]
    import os

    from docclean.errors import OutputError, UsageError

    inbox, out = folders
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UsageError, match="not a folder"):
        make(inbox, tmp_path / "a-file", tiny_model_path, Clock())
    out.mkdir()
    os.chmod(out, 0o555)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(OutputError, match="cannot write in the output folder"):
            make(inbox, out, tiny_model_path, Clock())
    finally:
        os.chmod(out, 0o755)


@pytest.mark.parametrize("where", ["lock", "page"])
def test_an_output_error_leaves_the_scan_in_place_and_stops(folders, tiny_model_path, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                           where):
    import errno

    import docclean.batch
    from docclean import io as pageio
    from docclean.errors import DiskFullError, output_error

    inbox, out = folders
    (inbox / "a.png").write_bytes(png_bytes(1))
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, done=tmp_path / "done", failed=tmp_path / "failed")

    def full(*args, **kwargs):  # type: ignore[no-untyped-def] - before any work (taking the output's lock)
        raise DiskFullError("No space left on device", out)

    def page_full(self, pixels, dpi):  # type: ignore[no-untyped-def] - while its page is written
        raise output_error("cannot write page 1", OSError(errno.ENOSPC, "No space left on device"), self.path)

    if where == "lock":
        monkeypatch.setattr(docclean.batch, "clean_batch", full)
    else:
        monkeypatch.setattr(pageio.PageWriter, "add", page_full)
    watcher.poll_once()
    clock.now += 3
    with pytest.raises(DiskFullError, match="No space left on device"):
        watcher.poll_once()
    assert (inbox / "a.png").exists() and not (tmp_path / "failed").exists()  # not blamed on the scan
    assert "a.png" not in Ledger(out / LEDGER_NAME).entries


def test_an_unreadable_subfolder_is_skipped_and_the_rest_goes_on(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    import os

    inbox, out = folders
    (inbox / "locked").mkdir()
    (inbox / "locked" / "old.png").write_bytes(png_bytes(1))
    clock = Clock()
    notices: list[str] = []
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    watcher.poll_once()
    clock.now += 3
    assert [o.source.name for o in watcher.poll_once()] == ["old.png"]
    (out / "locked" / "old.png").unlink()  # its cleaned page taken away: only the record remembers it
    real_scandir = os.scandir
    locked = {str(inbox / "locked")}

    def scandir(path="."):  # type: ignore[no-untyped-def]
        if not isinstance(path, int) and os.fspath(path) in locked:  # shutil.rmtree lists by descriptor
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (inbox / "new.png").write_bytes(png_bytes(2))
    watcher.poll_once()
    clock.now += 3
    assert [o.source.name for o in watcher.poll_once()] == ["new.png"]  # the rest of IN goes on
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []
    assert notices == [f"{inbox / 'locked'}: cannot list this folder (Permission denied); skipping it till it can be"]
    assert "locked/old.png" in Ledger(out / LEDGER_NAME).entries  # not forgotten
    locked.clear()
    for _ in range(3):
        clock.now += 3
        assert watcher.poll_once() == []  # not cleaned again
    assert notices[1:] == [f"{inbox / 'locked'}: the folder can be listed again"]
    locked.add(str(inbox / "locked"))
    watcher.poll_once()
    watcher.poll_once()
    assert len(notices) == 3 and "cannot list this folder" in notices[2]


def test_a_scan_waits_while_another_run_writes_to_the_output(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    """`docclean clean ... -o OUT` while the hot folder writes into OUT/sub: the scan waits in IN
    (said once) and goes through once that run is done; the watcher goes on."""
    from docclean.outputs import output_lock

    inbox, out = folders
    notices: list[str] = []
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, on_notice=notices.append)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.png").write_bytes(png_bytes(1))
    with output_lock(out, within=[out]):
        assert settle(watcher, clock) == [] and settle(watcher, clock) == []
    assert len(notices) == 1 and "which holds this output folder" in notices[0]
    assert notices[0].endswith(f"{inbox / 'sub' / 'a.png'} waits until it is done")
    assert (inbox / "sub" / "a.png").exists() and not (out / "sub" / "a.png").exists()
    assert settle(watcher, clock) == ["cleaned"] and (out / "sub" / "a.png").exists()


def test_binarized_pages_into_jpeg_are_said_once_a_watch(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    from docclean.progress import BINARIZED_JPEG

    inbox, out = folders
    notices: list[str] = []
    clock = Clock()
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, binarize=True)
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock, on_notice=notices.append)
    for name in ("a.jpg", "b.png", "c.jpg"):
        Image.fromarray(np.full((40, 32), 200, np.uint8)).save(inbox / name)
    watcher.poll_once()
    clock.now += 3
    assert [o.status for o in watcher.poll_once()] == ["cleaned"] * 3
    assert notices == [BINARIZED_JPEG]  # once, though two scans went into JPEG
