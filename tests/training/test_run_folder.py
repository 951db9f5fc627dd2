"""check_resumable: a run folder holding another model, optimizer, seed or task config is refused
as a usage error (exit 2, whichever field differs) with a message naming the field; check_epochs_left:
fewer epochs than done are refused; check_out_folder and check_same_pages: a run folder that would
write over the user's files, and a resume over changed pages, are refused."""

import json
from pathlib import Path

import pytest

from docclean.errors import DataError, DocCleanError, UsageError, exit_code
from training.resume_guard import check_resumable


def saved_run(tmp_path: Path, fit: dict) -> Path:
    (tmp_path / "config.json").write_text(json.dumps({"arch": "a", "model_config": {}, "fit": fit}))
    return tmp_path


def test_every_refused_resume_is_a_usage_error_naming_the_field(tmp_path: Path) -> None:
    # It was exit 2 (ModelError) for the model and the optimizer but exit 1 (DataError) for the seed
    # and the task config: the same mistake, another option given, read as two kinds of failure.
    (tmp_path / "config.json").write_text(json.dumps({"arch": "a", "model_config": {"width": 4}, "task": {"limit": 10},
                                                      "fit": {"optimizer": "adamw", "seed": 0}}))
    same = {"arch": "a", "model_config": {"width": 4}, "task": {"limit": 10}, "fit": {"optimizer": "adamw", "seed": 0}}
    check_resumable(tmp_path, {**same, "fit": {**same["fit"], "lr": 1.0}})
    refused = {r"arch differs: 'a' there, 'b' now\); choose another --out$": {"arch": "b"},
               r"model_config\.width differs: 4 there, 8 now\)": {"model_config": {"width": 8}},
               r"fit\.optimizer differs \('adamw' there, 'sgd' now\); choose another --out":
                   {"fit": {"optimizer": "sgd", "seed": 0}},
               r"fit\.seed differs \(0 there, 5 now\); choose another --out":
                   {"fit": {"optimizer": "adamw", "seed": 5}},
               r"task\.limit differs: 10 there, 20 now\)": {"task": {"limit": 20}}}
    codes = {}
    for message, change in refused.items():
        with pytest.raises(DocCleanError, match=message) as info:
            check_resumable(tmp_path, {**same, **change})
        codes[message.split(" ")[0]] = exit_code(info.value), isinstance(info.value, UsageError)
    assert codes == dict.fromkeys(codes, (2, True))
    (tmp_path / "config.json").write_text("{not json")  # a damaged file is no option given: exit 1
    with pytest.raises(DataError) as damaged:
        check_resumable(tmp_path, same)
    assert exit_code(damaged.value) == 1


def test_fewer_epochs_than_done_are_refused_saying_what_to_give() -> None:
    from training.resume_guard import check_epochs_left

    check_epochs_left(5, 3, False)
    check_epochs_left(3, 3, False)  # a finished run asked again: nothing to do, no error
    check_epochs_left(4, 3, True)
    with pytest.raises(UsageError, match=r"^the run has already trained 3 epochs; give more than 3 to train it "
                                         r"further$") as info:
        check_epochs_left(2, 3, False)
    assert info.value.settings == ("epochs",) and exit_code(info.value) == 2
    with pytest.raises(UsageError, match=r"trained 1 epoch and part of the next; give more than 1"):
        check_epochs_left(1, 1, True)  # the epoch it stopped in would never finish


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


def test_folders_given_with_a_home_are_that_home_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from training.retrain_config import RetrainConfig, resolved
    from training.run_folder import check_out_folder

    home = tmp_path / "home"
    (home / "clean").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="is the --clean"):
        check_out_folder(Path("~/clean"), {"--clean": str(home / "clean")}, "retrain.json")
    with pytest.raises(UsageError, match="lies inside the --clean"):
        check_out_folder(home / "clean" / "run", {"--clean": "~/clean"}, "retrain.json")
    cfg = resolved(RetrainConfig(noisy="~/noisy", clean="~/clean", out="~/run", init="~/m.safetensors"))
    assert (cfg.noisy, cfg.clean, cfg.out, cfg.init) == tuple(
        str(home.resolve() / name) for name in ("noisy", "clean", "run", "m.safetensors"))


def test_pages_added_removed_or_moved_across_the_split_are_named(tmp_path: Path) -> None:
    from training.resume_guard import check_same_pages

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
    with pytest.raises(UsageError, match=r"choose another --out or start over with --no-resume$"):
        check_resumable(run, other)  # the teaching suite's commands have --no-resume
    with pytest.raises(UsageError, match=r"now\); choose another --out$"):
        check_resumable(run, other, start_over=None)  # docclean train has none
    # A network of another kind is never offered a start over: it would overwrite that run in place.
    with pytest.raises(UsageError, match=r"'a' there, 'b' now\); choose another --out$"):
        check_resumable(run, {**other, "arch": "b"})
    (run / "config.json").write_text("{not json")
    with pytest.raises(DataError, match=r"not valid JSON .*; choose another --out$"):
        check_resumable(run, other, start_over=None)


def test_a_config_json_of_another_program_is_no_earlier_run(tmp_path: Path) -> None:
    # The suite's commands wrote into any folder: a user's config.json and metrics.csv were replaced.
    from training.run_folder import check_out_folder, holds_run

    mine = tmp_path / "scans"
    mine.mkdir()
    (mine / "101.png").write_bytes(b"")
    (mine / "config.json").write_text('{"project": "my archive settings"}')
    with pytest.raises(UsageError, match=r"holds other files \(e\.g\. 101\.png\) but no earlier run \(its "
                                         r"config\.json is no run's\); give a new or empty folder") as info:
        check_out_folder(mine, {}, "config.json", is_run=holds_run)
    assert info.value.settings == ("out",) and info.value.path == mine.resolve()
    (mine / "config.json").write_text(json.dumps({"arch": "a", "model_config": {}, "fit": {}}))
    check_out_folder(mine, {}, "config.json", is_run=holds_run)  # one fit wrote: an earlier run's folder


def test_a_fresh_start_refuses_another_network_and_clears_only_the_run(tmp_path: Path) -> None:
    from training.run_folder import check_fit_folder, clear_run

    run = saved_run(tmp_path, {})
    check_fit_folder(run, "b", resuming=True)  # resuming: check_resumable compares it all
    check_fit_folder(run, "a", resuming=False)
    with pytest.raises(UsageError) as info:
        check_fit_folder(run, "b", resuming=False)  # --no-resume replaced a run of another kind in place
    assert info.value.reason == ("cannot start over: the run folder holds a different model ('a', not 'b'); choose "
                                 "another --out") and info.value.path == run
    names = ["best.safetensors", "state.safetensors", "metrics.csv", "eval.json", "anomalies.png", "notes.txt"]
    for name in names:
        (run / name).write_text("")
    removed = clear_run(run, ("eval.json", "anomalies.*"))
    assert sorted(p.name for p in removed) == sorted(names[:-1])
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "notes.txt"]


def test_metrics_csv_counts_epochs_from_one_and_files_counting_from_zero_still_read(tmp_path: Path) -> None:
    from training.run_folder import read_history, write_csv

    write_csv(tmp_path / "metrics.csv", [{"epoch": 0.0, "loss": 0.5}, {"epoch": 1.0, "loss": 0.25}])
    assert (tmp_path / "metrics.csv").read_text().split() == ["epoch,loss", "1,0.5", "2,0.25"]
    assert [row["epoch"] for row in read_history(tmp_path)] == [0, 1]  # as fit and its checkpoints count
    (tmp_path / "metrics.csv").write_text("epoch,loss\n0.0,0.5\n1.0,0.25\n")  # written before
    assert read_history(tmp_path) == [{"epoch": 0, "loss": 0.5}, {"epoch": 1, "loss": 0.25}]
