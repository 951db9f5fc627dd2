"""`docclean fashion`: train every architecture on tiny data, then eval, compare and anomalies."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from docclean.errors import ModelError

MODEL_EXIT = getattr(ModelError, "exit_code", 1)  # the code errors.py documents for a bad model

runner = CliRunner()
RUNS = {  # run name -> extra train options
    "dense": ["--arch", "dense"],
    "sparse": ["--arch", "sparse", "--loss", "mse"],
    "deep": ["--arch", "deep", "--optimizer", "adamw"],
    "conv": ["--arch", "conv"],
    "denoise": ["--arch", "conv", "--noise", "salt-pepper", "--noise-level", "0.2"],
}


def _train(out: Path, data: Path, *extra: str):
    return runner.invoke(app, ["fashion", "train", "--out", str(out), "--data-dir", str(data), "--no-verify",
                               "--epochs", "2", "--batch-size", "16", "--lr", "3e-3", *extra])


@pytest.fixture(scope="module")
def trained_runs(tiny_fashion_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every architecture trained for 2 epochs on the tiny set (once per module)."""
    root = tmp_path_factory.mktemp("fashion-runs")
    runs = {}
    for name, options in RUNS.items():
        result = _train(root / name, tiny_fashion_dir, *options)
        assert result.exit_code == 0, result.output
        runs[name] = root / name
    return runs


@pytest.mark.parametrize("name", list(RUNS))
def test_train_writes_the_run_folder(trained_runs: dict[str, Path], name: str) -> None:
    run = trained_runs[name]
    for file in ("config.json", "metrics.csv", "best.safetensors", "last.safetensors", "loss.png",
                 "reconstructions.png"):
        assert (run / file).stat().st_size > 0, file
    config = json.loads((run / "config.json").read_text())
    assert config["arch"] == f"fashion-{RUNS[name][1]}" and config["fit"]["epochs"] == 2
    assert len((run / "metrics.csv").read_text().splitlines()) == 3  # header + 2 epochs


def test_options_reach_the_task(trained_runs: dict[str, Path]) -> None:
    sparse = json.loads((trained_runs["sparse"] / "config.json").read_text())
    assert sparse["task"]["loss"] == "mse" and sparse["task"]["activity_l1"] > 0
    denoise = json.loads((trained_runs["denoise"] / "config.json").read_text())
    assert denoise["task"]["noise"] == "salt-pepper" and denoise["task"]["noise_level"] == 0.2
    assert json.loads((trained_runs["deep"] / "config.json").read_text())["fit"]["optimizer"] == "adamw"


def test_eval_writes_test_bce(trained_runs: dict[str, Path], tiny_fashion_dir: Path) -> None:
    result = runner.invoke(app, ["fashion", "eval", str(trained_runs["denoise"]), "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert "test BCE" in result.output and "salt-pepper" in result.output
    scores = json.loads((trained_runs["denoise"] / "eval.json").read_text())
    assert scores["test_images"] == 32 and 0.0 < scores["test_bce"] < 1.0
    with (trained_runs["denoise"] / "metrics.csv").open() as fh:
        history = list(csv.DictReader(fh))
    best = min(history, key=lambda row: float(row["val_loss"]))
    assert scores["best_epoch"] == int(best["epoch"])  # both counted from 1, as the progress lines count


def test_compare_draws_one_plot_and_one_table(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                              tmp_path: Path) -> None:
    plot, table = tmp_path / "compare.png", tmp_path / "compare.md"
    result = runner.invoke(app, ["fashion", "compare", *map(str, trained_runs.values()), "--plot", str(plot),
                                 "--table", str(table), "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert plot.stat().st_size > 0
    rows = table.read_text().splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == list(RUNS)


def test_compare_tells_apart_runs_in_folders_of_one_name(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                                          tmp_path: Path) -> None:
    # Both rows read "run": a reader could not tell which figures were whose.
    first, second = tmp_path / "a" / "run", tmp_path / "b" / "run"
    shutil.copytree(trained_runs["dense"], first)
    shutil.copytree(trained_runs["conv"], second)
    table = tmp_path / "compare.md"
    result = runner.invoke(app, ["fashion", "compare", str(first), str(second), str(trained_runs["deep"]),
                                 "--table", str(table), "--plot", str(tmp_path / "c.png"),
                                 "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    rows = [row.split("|")[1:3] for row in table.read_text().splitlines()[2:]]
    assert [(name.strip(), arch.strip()) for name, arch in rows] == [("a/run", "dense"), ("b/run", "conv"),
                                                                    ("deep", "deep")]
    assert "a/run" in result.output and "b/run" in result.output


def test_anomalies_ranks_every_test_image(trained_runs: dict[str, Path], tiny_fashion_dir: Path) -> None:
    run = trained_runs["conv"]
    result = runner.invoke(app, ["fashion", "anomalies", str(run), "--count", "5", "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert (run / "anomalies.png").stat().st_size > 0
    with (run / "anomalies.csv").open() as f:
        ranking = list(csv.DictReader(f))
    errors = [float(r["mse"]) for r in ranking]
    assert len(ranking) == 32 and errors == sorted(errors, reverse=True)
    too_many = runner.invoke(app, ["fashion", "anomalies", str(run), "--count", "101"])
    assert too_many.exit_code == 2


def test_a_run_named_twice_is_compared_once(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                            tmp_path: Path) -> None:
    run = trained_runs["dense"]
    table = tmp_path / "t.md"
    result = runner.invoke(app, ["fashion", "compare", str(run), str(run / "." / ".." / run.name), "--table",
                                 str(table), "--plot", str(tmp_path / "p.png"), "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("|") for line in table.read_text().splitlines()) == 3  # header, rule, one run


def test_compare_draws_in_the_format_its_plot_name_says(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                                         tmp_path: Path) -> None:
    runs = [str(trained_runs["dense"]), str(trained_runs["deep"])]
    svg = runner.invoke(app, ["fashion", "compare", *runs, "--plot", str(tmp_path / "c.svg"),
                              "--data-dir", str(tiny_fashion_dir)])
    assert svg.exit_code == 0 and b"<svg" in (tmp_path / "c.svg").read_bytes()[:500]
    folder = runner.invoke(app, ["fashion", "compare", *runs, "--plot", str(tmp_path), "--data-dir",
                                 str(tiny_fashion_dir)])
    assert folder.exit_code == 0 and (tmp_path / "fashion-compare.png").stat().st_size > 0
    refused = runner.invoke(app, ["fashion", "compare", *runs, "--plot", str(tmp_path / "c.txt")])
    assert refused.exit_code == 2 and "c.txt" in refused.output and not (tmp_path / "c.txt").exists()


def test_training_resumes_a_finished_run_without_redoing_epochs(trained_runs: dict[str, Path],
                                                               tiny_fashion_dir: Path, tmp_path: Path) -> None:
    first = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "1")
    assert first.exit_code == 0, first.output
    second = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "2")
    assert second.exit_code == 0 and "resuming at epoch 2" in second.output and "epoch 2: train_loss" in second.output
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 3
    third = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "2")
    assert third.exit_code == 0 and "all 2 epochs already done" in third.output and "resuming" not in third.output
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 3


def test_a_resume_with_fewer_epochs_or_another_seed_is_a_usage_error_that_stores_nothing(
        tiny_fashion_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(out, tiny_fashion_dir, "--epochs", "2").exit_code == 0
    saved = (out / "config.json").read_text()
    fewer = _train(out, tiny_fashion_dir, "--epochs", "1")  # exited 0 and stored epochs 1
    assert fewer.exit_code == 2, fewer.output
    assert fewer.output.strip() == ("error: --epochs: the run has already trained 2 epochs; give more than 2 to "
                                    "train it further")
    seed = _train(out, tiny_fashion_dir, "--epochs", "3", "--seed", "5")  # exited 1, as if the data were at fault
    assert seed.exit_code == 2 and "fit.seed differs (0 there, 5 now)" in seed.output, seed.output
    assert seed.output.count("\n") == 1
    assert (out / "config.json").read_text() == saved and json.loads(saved)["fit"]["epochs"] == 2


@pytest.mark.parametrize("seed", [str(2**64), "-1"])
def test_a_seed_outside_32_bits_is_a_usage_error_naming_the_range(tiny_fashion_dir: Path, tmp_path: Path,
                                                                  seed: str) -> None:
    result = _train(tmp_path / "run", tiny_fashion_dir, "--seed", seed)  # 2**64: "Overflow when unpacking long long"
    assert result.exit_code == 2 and "0<=x<=4294967295" in result.output, result.output
    assert "Overflow" not in result.output and not (tmp_path / "run").exists()


def test_the_largest_seed_trains(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    result = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "1", "--seed", "4294967295")
    assert result.exit_code == 0, result.output


def test_missing_data_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = _train(tmp_path / "run", tmp_path / "no-data")
    assert result.exit_code == 1
    assert "train-images-idx3-ubyte.gz" in result.output and "--download" in result.output
    assert "Traceback" not in result.output


def test_official_md5_is_checked_by_default(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["fashion", "train", "--out", str(tmp_path / "run"), "--data-dir",
                                 str(tiny_fashion_dir)])
    assert result.exit_code == 1 and "MD5" in result.output


def test_eval_of_an_empty_folder_is_a_model_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fashion", "eval", str(tmp_path)])
    assert result.exit_code == MODEL_EXIT and "best.safetensors" in result.output
    # Not "NAME/best.safetensors: run folder has no best checkpoint (train it first)" for these two:
    missing = runner.invoke(app, ["fashion", "eval", str(tmp_path / "nothing")])
    assert missing.exit_code == MODEL_EXIT and f"{tmp_path / 'nothing'}: no such run folder" in missing.output
    (tmp_path / "best.safetensors").write_bytes(b"x")
    a_file = runner.invoke(app, ["fashion", "eval", str(tmp_path / "best.safetensors")])
    assert a_file.exit_code == MODEL_EXIT and "a file: give the run folder that holds it" in a_file.output


@pytest.mark.parametrize("options", [["--arch", "resnet"], ["--noise", "salt-pepper", "--noise-level", "2"],
                                     ["--epochs", "0"], ["--noise-level", "0.3"]])
def test_bad_values_are_usage_errors(tiny_fashion_dir: Path, tmp_path: Path, options: list[str]) -> None:
    result = _train(tmp_path / "run", tiny_fashion_dir, *options)
    assert result.exit_code == 2, result.output


def test_compare_of_a_glob_that_meets_its_own_plot_other_runs_and_a_bad_table_path(
        trained_runs: dict[str, Path], tiny_fashion_dir: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    runs = list(map(str, trained_runs.values()))[:2]
    plot = Path(runs[0]).parent / "fashion-compare.png"
    plot.write_bytes(b"")  # what a first `compare runs/*` leaves among the runs
    again = runner.invoke(app, ["fashion", "compare", *runs, str(plot), "--data-dir", str(tiny_fashion_dir)])
    assert again.exit_code == 0, again.output
    # Other kinds of runs beside them (the denoiser's, an untrained folder) are named and left out.
    denoiser, empty = tmp_path / "mine", tmp_path / "empty"
    denoiser.mkdir()
    empty.mkdir()
    shutil.copy(tiny_model_path, denoiser / "best.safetensors")
    mixed = runner.invoke(app, ["fashion", "compare", *runs, str(denoiser), str(empty), "--table",
                                str(tmp_path / "t.md"), "--data-dir", str(tiny_fashion_dir)])
    assert mixed.exit_code == 0, mixed.output
    assert f"warning: {denoiser}: not a Fashion-MNIST autoencoder checkpoint (architecture 'docunet')" \
        in mixed.output
    assert f"warning: {empty}: run folder has no best checkpoint" in mixed.output
    assert len((tmp_path / "t.md").read_text().splitlines()) == 2 + len(runs)
    alone = runner.invoke(app, ["fashion", "compare", str(denoiser), "--data-dir", str(tiny_fashion_dir)])
    assert alone.exit_code == 2 and alone.output.startswith("error: ") and "not a Fashion-MNIST" in alone.output
    bad = runner.invoke(app, ["fashion", "compare", *runs, "--table", str(tmp_path / "no" / "t.md"),
                              "--data-dir", str(tiny_fashion_dir)])
    assert bad.exit_code != 0 and "error:" in bad.output and "Traceback" not in bad.output


def test_compare_scores_a_checkpoint_newer_than_its_eval_json(trained_runs: dict[str, Path],
                                                              tiny_fashion_dir: Path) -> None:
    import json
    import os

    run = list(trained_runs.values())[0]
    stale = {**json.loads((run / "eval.json").read_text()), "test_bce": 9.99} if (run / "eval.json").exists() else None
    if stale is None:
        assert runner.invoke(app, ["fashion", "eval", str(run), "--data-dir", str(tiny_fashion_dir)]).exit_code == 0
        stale = {**json.loads((run / "eval.json").read_text()), "test_bce": 9.99}
    (run / "eval.json").write_text(json.dumps(stale))
    best = run / "best.safetensors"
    os.utime(best, ns=(best.stat().st_atime_ns, (run / "eval.json").stat().st_mtime_ns + 10**9))  # retrained since
    result = runner.invoke(app, ["fashion", "compare", str(run), "--data-dir", str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert "9.99" not in result.output and json.loads((run / "eval.json").read_text())["test_bce"] != 9.99


def test_a_bad_optimizer_or_device_leaves_no_run_folder(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    for option in (["--optimizer", "foo"], ["--device", "foo"]):
        result = _train(tmp_path / "run", tiny_fashion_dir, *option)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert not (tmp_path / "run").exists(), option


def test_train_refuses_a_folder_of_other_files_and_leaves_them_alone(tiny_fashion_dir: Path, tmp_path: Path) -> None:
    # It exited 0 with the user's config.json and metrics.csv replaced and checkpoints among the scans.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text('{"project": "my archive settings"}')
    (mine / "101.png").write_bytes(b"scan")
    result = _train(mine, tiny_fashion_dir, "--epochs", "1")
    assert result.exit_code == 2, result.output
    assert result.output == (f"error: --out: {mine}: the folder already holds other files (e.g. 101.png) but no "
                             "earlier run (its config.json is no run's); give a new or empty folder\n")
    assert sorted(p.name for p in mine.iterdir()) == ["101.png", "config.json"]
    assert (mine / "config.json").read_text() == '{"project": "my archive settings"}'
    (tmp_path / "afile").write_text("hi")
    a_file = _train(tmp_path / "afile", tiny_fashion_dir, "--epochs", "1")  # was "[Errno 17] File exists"
    assert a_file.exit_code == 2 and a_file.output == f"error: --out: {tmp_path / 'afile'}: not a folder; give a " \
        "new or empty folder for the run\n"


def test_no_resume_keeps_a_run_of_another_network_and_clears_its_own_outputs(trained_runs: dict[str, Path],
                                                                            tiny_fashion_dir: Path,
                                                                            tmp_path: Path) -> None:
    run = Path(shutil.copytree(trained_runs["conv"], tmp_path / "run"))
    for name in ("eval.json", "anomalies.png", "anomalies.csv", "notes.txt"):
        (run / name).write_text("of the conv model")
    best = (run / "best.safetensors").read_bytes()
    other = _train(run, tiny_fashion_dir, "--arch", "dense", "--no-resume", "--epochs", "1")
    assert other.exit_code == 2 and other.output == (f"error: {run}: cannot start over: the run folder holds a "
                                                     "different model ('fashion-conv', not 'fashion-dense'); choose "
                                                     "another --out\n")
    assert (run / "best.safetensors").read_bytes() == best and (run / "eval.json").exists()
    again = _train(run, tiny_fashion_dir, "--arch", "conv", "--no-resume", "--epochs", "1")
    assert again.exit_code == 0, again.output
    assert not {"eval.json", "anomalies.png", "anomalies.csv"} & {p.name for p in run.iterdir()}
    assert (run / "notes.txt").exists() and len((run / "metrics.csv").read_text().splitlines()) == 2


def test_a_read_only_run_is_scored_and_compared_with_a_warning(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # eval computed everything, printed no score, then failed on .eval.json.XXXX.tmp (exit 1).
    from contextlib import contextmanager

    import training.suite.fashion_eval as fashion_eval

    @contextmanager
    def read_only(path, suffix=".tmp"):
        raise PermissionError(13, "Permission denied", str(path.parent / f".{path.name}.x1y2.tmp"))
        yield

    monkeypatch.setattr(fashion_eval, "atomic_path", read_only)
    run = Path(shutil.copytree(trained_runs["dense"], tmp_path / "run"))
    (run / "eval.json").unlink(missing_ok=True)
    scored = runner.invoke(app, ["fashion", "eval", str(run), "--data-dir", str(tiny_fashion_dir)])
    assert scored.exit_code == 0, scored.output
    printed, warning = scored.output.rstrip("\n").rsplit("\n", 1)
    assert "test BCE" in " ".join(printed.split())  # the score first (rich may wrap its line)
    assert warning == f"warning: {run / 'eval.json'}: cannot save the scores (Permission denied); they are printed " \
        "above only"
    compared = runner.invoke(app, ["fashion", "compare", str(run), "--plot", str(tmp_path / "c.png"),
                                   "--data-dir", str(tiny_fashion_dir)])
    assert compared.exit_code == 0, compared.output
    assert "cannot save the scores (Permission denied)" in compared.output and "Errno" not in compared.output
    assert compared.output.index("test BCE") < compared.output.index("warning:") and (tmp_path / "c.png").exists()


def test_compare_plot_names_its_own_option_and_takes_a_new_folder(trained_runs: dict[str, Path],
                                                                  tiny_fashion_dir: Path, tmp_path: Path) -> None:
    runs = [str(trained_runs["dense"]), str(trained_runs["deep"])]
    gif = runner.invoke(app, ["fashion", "compare", *runs, "--plot", str(tmp_path / "x.gif")])
    assert gif.exit_code == 2 and gif.output.startswith(f"error: --plot: {tmp_path / 'x.gif'}: cannot write a "
                                                        "picture with the ending '.gif'")  # said --out
    new = runner.invoke(app, ["fashion", "compare", *runs, "--plot", f"{tmp_path / 'new'}/", "--data-dir",
                              str(tiny_fashion_dir)])
    assert new.exit_code == 0, new.output  # refused: "cannot write a picture with no ending"
    assert (tmp_path / "new" / "fashion-compare.png").stat().st_size > 0


def test_missing_data_in_a_folder_given_offers_no_other_folder(tmp_path: Path) -> None:
    (tmp_path / "no-data").mkdir()
    given = _train(tmp_path / "run", tmp_path / "no-data")
    assert given.exit_code == 1 and "DOCCLEAN_DATA" not in given.output  # --data-dir overrides it
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"")
    a_file = _train(tmp_path / "run", tmp_path / "t10k-images-idx3-ubyte.gz")
    assert a_file.exit_code == 1 and a_file.output == (f"error: {tmp_path / 't10k-images-idx3-ubyte.gz'}: a file, "
                                                       "not a folder; give the folder that holds the four "
                                                       "Fashion-MNIST files\n")


def test_patience_0_never_stops_early_and_scoring_runs_on_auto_device(tiny_fashion_dir: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    trained = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "1", "--patience", "0")  # was refused, min 1
    assert trained.exit_code == 0, trained.output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["fit"]["patience"] is None
    import training.suite.fashion_eval as fashion_eval

    asked = []
    monkeypatch.setattr(fashion_eval, "load_run", lambda run, device: asked.append(device) or 1 / 0)
    for command in (["eval"], ["anomalies"], ["compare", "--plot", str(tmp_path / "c.png")]):
        runner.invoke(app, ["fashion", *command, str(tmp_path / "run")])
    assert asked == ["auto"] * 3  # the help says auto (a GPU if there is one); it was cpu


def _copy_run(run: Path, target: Path, *, verify: bool | None = None) -> Path:
    """A copy of ``run`` without its scores; ``verify`` given: its best checkpoint says it was trained
    with that MD5 setting (True: as a run on the official files is; the tiny files then fail the check)."""
    from docclean.checkpoint import load_model, save_model

    target = Path(shutil.copytree(run, target))
    (target / "eval.json").unlink(missing_ok=True)
    if verify is not None:
        model, meta = load_model(target / "best.safetensors")
        meta["task"] = {**meta["task"], "verify": verify}
        save_model(model, target / "best.safetensors", meta["arch"], meta["config"],
                   {k: v for k, v in meta.items() if k not in ("arch", "config", "format")})
    return target


READERS = [["eval"], ["anomalies", "--count", "3"], ["compare", "--plot", "{tmp}/c.png"]]


@pytest.mark.parametrize("command", READERS)
def test_the_commands_that_read_a_run_take_verify_as_vae_s_do(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                                              tmp_path: Path, command: list[str]) -> None:
    """Without --verify/--no-verify the run's own MD5 setting holds; --no-verify scores a run trained on
    the official files on a copy of one's own, --verify checks a run trained without the check (there was
    no such option: a run trained on the official files could not be scored on a private copy)."""
    rest = [a.replace("{tmp}", str(tmp_path)) for a in command[1:]]
    official = _copy_run(trained_runs["dense"], tmp_path / "official", verify=True)
    argv = ["fashion", command[0], str(official), *rest, "--data-dir", str(tiny_fashion_dir)]
    refused = runner.invoke(app, argv)
    assert refused.exit_code == 1 and "MD5" in refused.output and "t10k-images" in refused.output, refused.output
    assert "--no-verify" in refused.output  # what to do with a copy of one's own
    accepted = runner.invoke(app, [*argv, "--no-verify"])
    assert accepted.exit_code == 0, accepted.output
    own = _copy_run(trained_runs["dense"], tmp_path / "own")  # trained with --no-verify: its setting holds
    argv = ["fashion", command[0], str(own), *rest, "--data-dir", str(tiny_fashion_dir)]
    assert runner.invoke(app, argv).exit_code == 0
    (own / "eval.json").unlink(missing_ok=True)  # compare scores afresh only a run without fresh scores
    checked = runner.invoke(app, [*argv, "--verify"])
    assert checked.exit_code == 1 and "MD5" in checked.output, checked.output


def test_threads_sets_torch_s_cpu_threads_as_on_the_other_train_commands(tiny_fashion_dir: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    asked: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", asked.append)
    result = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "1", "--threads", "3")  # "No such option"
    assert result.exit_code == 0, result.output
    assert asked == [3]
    default = _train(tmp_path / "other", tiny_fashion_dir, "--epochs", "1")
    assert default.exit_code == 0 and asked == [3]  # 0, the default: torch's own number, untouched


def test_train_prints_its_reconstructions_as_the_other_train_commands_do(tiny_fashion_dir: Path,
                                                                         tmp_path: Path) -> None:
    result = _train(tmp_path / "run", tiny_fashion_dir, "--epochs", "1")  # printed nothing
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "run" / "reconstructions.png")


def test_nothing_is_downloaded_without_download_and_every_reader_takes_it(
        trained_runs: dict[str, Path], tiny_fashion_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--download/--no-download on train, eval, compare and anomalies alike (train had a bare --download,
    compare and anomalies none); the readers fetch the two test files only."""
    import training.suite.fashion_data as fashion_data

    fetched: list[str] = []

    def fake_download(name: str, folder: Path, base_url: str = "", md5: str | None = None) -> Path:
        fetched.append(name)
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(tiny_fashion_dir / name, folder / name))

    monkeypatch.setattr(fashion_data, "download_file", fake_download)
    run = _copy_run(trained_runs["dense"], tmp_path / "dense")
    for command in (["eval", str(run)], ["anomalies", str(run)], ["compare", str(run), "--plot", str(tmp_path)]):
        (run / "eval.json").unlink(missing_ok=True)  # compare scores a run afresh only without it
        empty = tmp_path / f"empty-{command[0]}"
        empty.mkdir()
        not_asked = runner.invoke(app, ["fashion", *command, "--data-dir", str(empty), "--no-download"])
        assert not_asked.exit_code == 1 and "--download" in not_asked.output and not fetched, not_asked.output
        asked = runner.invoke(app, ["fashion", *command, "--data-dir", str(empty), "--download"])
        assert asked.exit_code == 0, asked.output
        assert sorted(fetched) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"], fetched
        fetched.clear()
    trained = _train(tmp_path / "run", tmp_path / "none", "--no-download")  # vae's spelling: "No such option"
    assert trained.exit_code == 1 and "--download" in trained.output and not fetched


def test_eval_needs_only_the_test_files_as_vae_eval_does(trained_runs: dict[str, Path], tiny_fashion_dir: Path,
                                                         tmp_path: Path) -> None:
    test_only = tmp_path / "test-only"
    test_only.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(tiny_fashion_dir / name, test_only / name)
    run = _copy_run(trained_runs["dense"], tmp_path / "run")
    for command in (["eval"], ["anomalies"], ["compare", "--plot", str(tmp_path / "c.png")]):
        result = runner.invoke(app, ["fashion", command[0], str(run), *command[1:], "--data-dir", str(test_only)])
        assert result.exit_code == 0, result.output  # "train-images-idx3-ubyte.gz: ... is missing"


def test_printed_paths_are_one_line_each(trained_runs: dict[str, Path], tiny_fashion_dir: Path) -> None:
    """eval and anomalies print with typer.echo, as vae and faces do: rich wrapped them at 80 columns,
    cutting a path in two for a script that reads it."""
    run = trained_runs["conv"]
    result = runner.invoke(app, ["fashion", "anomalies", str(run), "--count", "3", "--data-dir",
                                 str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output
    assert f"grid: {run / 'anomalies.png'}; full ranking: {run / 'anomalies.csv'}" in result.stdout.splitlines()
    scored = runner.invoke(app, ["fashion", "eval", str(run), "--data-dir", str(tiny_fashion_dir)])
    assert scored.exit_code == 0 and scored.stdout.count("\n") == 1 and scored.stdout.startswith(f"{run}: conv")


def test_anomalies_takes_n_as_every_picture_command_does(trained_runs: dict[str, Path],
                                                         tiny_fashion_dir: Path) -> None:
    result = runner.invoke(app, ["fashion", "anomalies", str(trained_runs["conv"]), "-n", "2", "--data-dir",
                                 str(tiny_fashion_dir)])
    assert result.exit_code == 0, result.output  # "No such option: -n"
