"""check_resumable: a run folder holding another optimizer or seed is refused, each with its own
error class and a message naming the field; check_out_folder and check_same_pages: a run folder
that would write over the user's files, and a resume over changed pages, are refused."""

import json
from pathlib import Path

import pytest

from docclean.errors import DataError, ModelError
from training.run_folder import check_resumable


def saved_run(tmp_path: Path, fit: dict) -> Path:
    (tmp_path / "config.json").write_text(json.dumps({"arch": "a", "model_config": {}, "fit": fit}))
    return tmp_path


def test_another_optimizer_or_seed_is_refused_with_its_own_error(tmp_path: Path) -> None:
    run = saved_run(tmp_path, {"optimizer": "adamw", "seed": 0})
    check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "adamw", "seed": 0, "lr": 1.0}})
    with pytest.raises(ModelError, match=r"fit\.optimizer differs \('adamw' there, 'sgd' now\); choose another --out"):
        check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "sgd", "seed": 0}})
    with pytest.raises(DataError, match=r"fit\.seed differs \(0 there, 5 now\); choose another --out") as info:
        check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "adamw", "seed": 5}})
    assert not isinstance(info.value, ModelError)


def test_a_config_saved_without_optimizer_or_seed_resumes_with_any(tmp_path: Path) -> None:
    run = saved_run(tmp_path, {})
    check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "sgd", "seed": 5}})


def test_an_out_folder_overlapping_an_input_or_holding_other_files_is_refused(tmp_path: Path) -> None:
    from docclean.errors import UsageError
    from training.run_folder import check_out_folder

    (tmp_path / "clean").mkdir()
    inputs = {"--noisy": str(tmp_path / "noisy"), "--clean": str(tmp_path / "clean"), "--val-noisy": None}
    for out, how in ((tmp_path / "clean", "is the --clean"), (tmp_path / "clean" / "a" / "run", "lies inside the"),
                     (tmp_path, "holds the --noisy"), (tmp_path / "noisy" / ".." / "clean", "is the --clean")):
        with pytest.raises(UsageError, match=how) as info:
            check_out_folder(out, inputs, "retrain.json")
        assert info.value.settings == ("out",)
    mine = tmp_path / "mine"
    mine.mkdir()
    check_out_folder(mine, inputs, "retrain.json")  # empty: fine
    for name in (".DS_Store", "Thumbs.db", "desktop.ini"):  # a desktop's own files, made by looking
        (mine / name).write_text("")
    check_out_folder(mine, inputs, "retrain.json")  # still a new folder
    (mine / "lock").write_text("")
    check_out_folder(mine, inputs, "retrain.json", ignore=frozenset({"lock"}))  # only a lock left: fine
    (mine / "config.json").write_text("{}")
    with pytest.raises(UsageError, match=r"already holds other files \(e\.g\. config\.json\) but no earlier run"):
        check_out_folder(mine, inputs, "retrain.json", ignore=frozenset({"lock"}))
    (mine / "retrain.json").write_text("{}")
    check_out_folder(mine, inputs, "retrain.json")  # an earlier run's folder
    with pytest.raises(UsageError, match="not a folder"):
        check_out_folder(mine / "config.json", inputs, "retrain.json")


def test_pages_added_removed_or_moved_across_the_split_are_named(tmp_path: Path) -> None:
    from training.run_folder import check_same_pages

    (tmp_path / "data").mkdir()
    a, b, c = (str(tmp_path / "data" / f"{n}.png#0") for n in "abc")
    (tmp_path / "config.json").write_text(json.dumps({"train_pages": [a, b], "val_pages": [c]}))
    check_same_pages(tmp_path, [str(tmp_path / "x" / ".." / "data" / "a.png#0"), b], [c])  # another spelling
    with pytest.raises(DataError, match=r"pairs changed since the run started \(1 added, 0 gone, e\.g\. .*d\.png#0\)"):
        check_same_pages(tmp_path, [a, b, str(tmp_path / "data" / "d.png#0")], [c])
    with pytest.raises(DataError, match=r"\(0 added, 1 gone, e\.g\. .*b\.png#0\); start a new run with another --out"):
        check_same_pages(tmp_path, [a], [c])
    with pytest.raises(DataError, match=r"split changed .*\(2 page\(s\) changed side"):
        check_same_pages(tmp_path, [a, c], [b])
    (tmp_path / "config.json").write_text(json.dumps({"arch": "a"}))  # recorded no pages: nothing to compare
    check_same_pages(tmp_path, [a], [])


def test_the_start_over_hint_is_the_callers_own(tmp_path: Path) -> None:
    run = saved_run(tmp_path, {"optimizer": "adamw", "seed": 0})
    other = {"arch": "a", "model_config": {"width": 2}, "fit": {"optimizer": "adamw", "seed": 0}}
    with pytest.raises(ModelError, match=r"choose another --out or start over with --no-resume$"):
        check_resumable(run, other)  # the teaching suite's commands have --no-resume
    with pytest.raises(ModelError, match=r"now\); choose another --out$"):
        check_resumable(run, other, start_over=None)  # docclean train has none
    # A network of another kind is never offered a start over: it would overwrite that run in place.
    with pytest.raises(ModelError, match=r"'a' there, 'b' now\); choose another --out$"):
        check_resumable(run, {**other, "arch": "b"})
    (run / "config.json").write_text("{not json")
    with pytest.raises(DataError, match=r"not valid JSON .*; choose another --out$"):
        check_resumable(run, other, start_over=None)
