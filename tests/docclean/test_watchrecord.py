"""The hot folder's record of handled files (``docclean.watchrecord.Ledger``): a journal that a
restart reads back whole, that grows by a line per file instead of being rewritten, survives a line
cut short by a crash, reads the record of earlier versions, and finds an output's owner at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

from docclean.watchrecord import Ledger, WatchOutcome


def cleaned(out: Path, *names: str) -> WatchOutcome:
    return WatchOutcome(Path("in") / names[0], "cleaned", [out / n for n in names])


def kept(out: Path, i: int) -> dict:
    return {"size": 1, "mtime_ns": 1, "status": "cleaned", "targets": [str(out / f"k{i}.png")]}


def test_a_restart_reads_back_what_was_recorded_and_forgotten(tmp_path: Path) -> None:
    path, out = tmp_path / "ledger", tmp_path / "out"
    ledger = Ledger(path)
    ledger.record("a.png", (10, 1), cleaned(out, "a.png"))
    ledger.record("b.tif", (20, 2), cleaned(out, "b-p001.png", "b-p002.png"))
    ledger.record("a.png", (11, 3), cleaned(out, "a.png"))  # replaced by a new scan of that name
    ledger.record("c.png", (5, 4), WatchOutcome(Path("in/c.png"), "failed", error="not an image"))
    ledger.prune({"a.png", "c.png"})  # b.tif gone from the inbox, and its outputs are not on disk
    again = Ledger(path)
    assert again.entries == ledger.entries and set(again.entries) == {"a.png", "c.png"}
    assert again.handled("a.png", (11, 3)) and not again.handled("a.png", (10, 1))
    assert again.owner(out / "a.png", "x.tif") == "a.png" and again.owner(out / "a.png", "a.png") is None
    assert again.owner(out / "b-p001.png", "x.tif") is None  # forgotten with b.tif
    assert again.owner(out / "c.png", "x.png") is None  # a failed file owns no output


def test_each_file_adds_a_line_instead_of_rewriting_the_record(tmp_path: Path) -> None:
    path, out = tmp_path / "ledger", tmp_path / "out"
    ledger = Ledger(path)
    for i in range(300):
        ledger.entries[f"k{i}.png"] = kept(out, i)
    ledger.record("first.png", (1, 1), cleaned(out, "first.png"))  # the file's first write: whole
    first = path.read_text()
    ledger.record("second.png", (1, 1), cleaned(out, "second.png"))
    text = path.read_text()
    assert text.startswith(first) and len(text.splitlines()) == 2
    assert json.loads(text.splitlines()[1])["set"] == "second.png"
    for i in range(400):  # more changes than entries: written whole again, one line
        ledger.record("second.png", (1, i), cleaned(out, "second.png"))
    assert len(path.read_text().splitlines()) < 400 and Ledger(path).entries == ledger.entries


def test_a_line_cut_short_by_a_crash_is_ignored_and_never_joins_the_next(tmp_path: Path) -> None:
    path, out = tmp_path / "ledger", tmp_path / "out"
    ledger = Ledger(path)
    ledger.record("a.png", (1, 1), cleaned(out, "a.png"))
    ledger.record("b.png", (1, 1), cleaned(out, "b.png"))
    path.write_text(path.read_text()[:-9])  # the power went while b.png's line was written
    after = Ledger(path)
    assert set(after.entries) == {"a.png"}  # b.png is redone: that is all a damaged record costs
    after.record("c.png", (1, 1), cleaned(out, "c.png"))
    assert set(Ledger(path).entries) == {"a.png", "c.png"}


def test_the_record_of_an_earlier_version_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    entry = {"size": 3, "mtime_ns": 4, "status": "cleaned", "targets": [str(tmp_path / "a.png")], "error": None}
    path.write_text(json.dumps({"files": {"a.png": entry}}, indent=1, sort_keys=True))  # one document
    ledger = Ledger(path)
    assert ledger.handled("a.png", (3, 4)) and ledger.owner(tmp_path / "a.png", "b.tif") == "a.png"
    ledger.record("b.png", (1, 1), cleaned(tmp_path, "b.png"))
    assert set(Ledger(path).entries) == {"a.png", "b.png"}


def test_an_inbox_of_many_kept_scans_costs_little_per_file(tmp_path: Path) -> None:
    path, out = tmp_path / "ledger", tmp_path / "out"
    ledger = Ledger(path)
    for i in range(20000):  # an inbox that keeps its scans: every one stays recorded
        ledger.entries[f"k{i}.png"] = kept(out, i)
    ledger.record("seed.png", (1, 1), cleaned(out, "seed.png"))
    start = time.perf_counter()
    for i in range(50):
        ledger.owner(out / f"new{i}.png", f"new{i}.png")
        ledger.record(f"new{i}.png", (1, 1), cleaned(out, f"new{i}.png"))
    # Rewriting and scanning 20,000 entries per file took about 0.3 s each; a line and a lookup, far less.
    assert time.perf_counter() - start < 2.0


def test_a_record_that_cannot_be_written_is_an_output_error_naming_it(tmp_path: Path) -> None:
    import pytest

    from docclean.errors import OutputError

    path = tmp_path / "ledger"
    path.mkdir()  # something else in its place
    with pytest.raises(OutputError, match="cannot write the hot folder's record") as info:
        Ledger(path).record("a.png", (1, 1), cleaned(tmp_path, "a.png"))
    assert info.value.path == path


def _watcher(inbox: Path, out: Path, done: Path, model: Path, clock: list[float]):  # type: ignore[no-untyped-def]
    from docclean.settings import CleanSettings
    from docclean.watch import Watcher

    settings = CleanSettings(model=str(model), device="cpu", threads=1, fmt="pdf")
    return Watcher(inbox, out, settings, done=done, settle=2.0, clock=lambda: clock[0])


def _settle(watcher, clock: list[float]) -> list[WatchOutcome]:  # type: ignore[no-untyped-def]
    watcher.poll_once()
    clock[0] += 3
    return watcher.poll_once()


def _scan(path: Path, seed: int) -> None:
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 32), dtype=np.uint8)).save(path)
    time.sleep(0.01)


def test_an_input_renamed_in_done_is_judged_by_its_name_in_the_inbox(tmp_path: Path, tiny_model_path: Path) -> None:
    """A scan moved to done/ under another name (done/scan.png taken: done/scan-1.png) wrote
    OUT/scan.pdf, as its name in IN says; judged by its new name it seemed to own OUT/scan-1.pdf,
    and the scanner's own scan-1.tif, arriving again, was refused as if it would replace it."""
    inbox, out, done = tmp_path / "in", tmp_path / "out", tmp_path / "done"
    inbox.mkdir()
    clock = [1000.0]
    watcher = _watcher(inbox, out, done, tiny_model_path, clock)
    for seed in (1, 2):  # the second scan.png finds done/scan.png taken
        _scan(inbox / "scan.png", seed)
        [outcome] = _settle(watcher, clock)
    assert outcome.moved_to == done / "scan-1.png"
    _scan(inbox / "scan-1.tif", 3)
    assert [o.status for o in _settle(watcher, clock)] == ["cleaned"]
    restarted = _watcher(inbox, out, done, tiny_model_path, clock)  # the record survives a restart
    _scan(inbox / "scan-1.tif", 4)  # a new scan of that name replaces its own output
    [again] = _settle(restarted, clock)
    assert again.status == "cleaned", again.error


def test_an_output_of_an_input_renamed_in_done_is_not_replaced(tmp_path: Path, tiny_model_path: Path) -> None:
    """done/scan-1.png (scan.png in IN) owns OUT/scan.pdf even once done/scan.png is tidied away:
    a scan.tif arriving later must not replace it."""
    inbox, out, done = tmp_path / "in", tmp_path / "out", tmp_path / "done"
    inbox.mkdir()
    clock = [1000.0]
    watcher = _watcher(inbox, out, done, tiny_model_path, clock)
    for seed in (1, 2):
        _scan(inbox / "scan.png", seed)
        _settle(watcher, clock)
    (done / "scan.png").unlink()  # the older one archived
    cleaned = (out / "scan.pdf").read_bytes()
    _scan(inbox / "scan.tif", 3)
    [later] = _settle(watcher, clock)
    assert later.status == "failed" and str(done / "scan-1.png") in (later.error or "")
    assert (out / "scan.pdf").read_bytes() == cleaned


def test_renamed_inputs_are_noted_across_restarts_till_they_are_gone(tmp_path: Path) -> None:
    path, done = tmp_path / "ledger", tmp_path / "done"
    done.mkdir()
    (done / "scan-1.png").write_bytes(b"x")
    ledger = Ledger(path)
    ledger.moved(done / "scan-1.png", "scan.png")
    ledger.moved(done / "gone-1.png", "gone.png")  # tidied away from done/ since
    ledger.moved(done / "plain.png", "plain.png")  # moved under its own name: nothing to note
    again = Ledger(path)
    assert again.name_in_inbox(done / "scan-1.png") == "scan.png"
    assert again.name_in_inbox(done / "plain.png") == "plain.png" and len(again.renamed) == 2
    again.moved(done / "gone-1.png", "gone-1.png")  # that place now holds an input of that name
    assert Ledger(path).name_in_inbox(done / "gone-1.png") == "gone-1.png"
    again.moved(done / "gone-1.png", "other.png")
    (done / "gone-1.png").unlink(missing_ok=True)
    again._rewrite = True  # the journal written whole: notes of files no longer there go
    again.record("a.png", (1, 1), cleaned(tmp_path / "out", "a.png"))
    assert Ledger(path).renamed == {str(done / "scan-1.png"): "scan.png"}


def test_an_attempt_killed_outright_gets_the_earlier_pages_back_at_the_next_try(tmp_path: Path) -> None:
    """kill -9 while page 1 of a new scan was written over the earlier scan's: the next try of that
    target finds the earlier page set aside and puts it back before it looks at OUT."""
    from docclean.watchattempt import Attempt, earlier_folder

    out = tmp_path / "out"
    out.mkdir()
    page = out / "scan-p001.png"
    page.write_bytes(b"earlier page 1")
    ledger = Ledger(out / "ledger")
    first = Attempt("scan.tif", out / "scan.png", out, ledger)
    first.keep()
    (out / "tmp").write_bytes(b"new page 1")
    (out / "tmp").replace(page)  # written atomically, as every output: the kept link is untouched
    assert earlier_folder(out / "scan.png").is_dir()  # killed here: no undo, no finish
    second = Attempt("scan.tif", out / "scan.png", out, ledger)
    assert page.read_bytes() == b"earlier page 1" and second.before == [page]
    assert not earlier_folder(out / "scan.png").exists()
