"""The teaching suite's three command groups (`docclean fashion`, `vae`, `faces`) as one tool: an
option of one name has one form, one default and one help text wherever it appears. Read from the
commands' declarations (nothing is trained)."""

from __future__ import annotations

import pytest
import typer

from cli.main import app

TRAIN = [("fashion", "train"), ("vae", "train"), ("faces", "train")]
FASHION_READERS = [("fashion", "eval"), ("fashion", "compare"), ("fashion", "anomalies"), ("vae", "eval"),
                   ("vae", "latent"), ("vae", "interpolate")]
"""The commands that read a trained run's Fashion-MNIST test files."""
FACES_READERS = [("faces", "eval"), ("faces", "reconstruct"), ("faces", "denoise")]


def _options(group: str, command: str) -> dict:
    """The options of ``docclean GROUP COMMAND`` by name (typer's own parameter objects)."""
    cmd = typer.main.get_command(app).commands[group].commands[command]  # type: ignore[attr-defined]
    return {p.name: p for p in cmd.params if p.param_type_name == "option"}


def _one(values: list) -> object:
    assert len(set(map(repr, values))) == 1, values
    return values[0]


def test_download_has_one_form_default_and_help_on_every_command_that_reads_fashion_mnist() -> None:
    """--download/--no-download, off, on every command that reads Fashion-MNIST: `fashion train` and
    `fashion eval` had a bare --download flag, `vae train` the pair, and the other readers none.
    `faces` has none: the Olivetti file has no official home to fetch it from."""
    options = [_options(*c)["download"] for c in [("fashion", "train"), ("vae", "train"), *FASHION_READERS]]
    assert _one([(o.opts, o.secondary_opts) for o in options]) == (["--download"], ["--no-download"])
    assert _one([o.default for o in options]) is False  # offline first: nothing is fetched unless asked
    assert "Fashion-MNIST" in _one([o.help for o in options])
    assert not any("download" in _options(*c) for c in [("faces", "train"), *FACES_READERS])


def test_verify_is_on_every_command_that_reads_data_with_one_help_per_data_set() -> None:
    """Train commands check by default; the commands that read a trained run check as the run was
    trained unless told (vae's only had --verify: fashion's and faces' readers used the run's setting)."""
    for readers, train in ((FASHION_READERS, [("fashion", "train"), ("vae", "train")]),
                           (FACES_READERS, [("faces", "train")])):
        trains = [_options(*c)["verify"] for c in train]
        runs = [_options(*c)["verify"] for c in readers]
        assert _one([o.default for o in trains]) is True and _one([o.default for o in runs]) is None
        assert _one([(o.opts, o.secondary_opts) for o in trains + runs]) == (["--verify"], ["--no-verify"])
        assert "--no-verify for own copies" in _one([o.help for o in trains + runs])
        assert _one([o.show_default for o in runs]) == "as the run was trained"


@pytest.mark.parametrize("name", ["out", "device", "threads", "resume", "epochs", "limit", "download"])
def test_the_train_commands_share_an_option_s_form_default_and_help(name: str) -> None:
    """`fashion train` had no --threads, and --out, --epochs, --resume and --limit read differently on
    each train command."""
    options = [_options(*c)[name] for c in TRAIN if name in _options(*c)]
    assert len(options) >= 2 or name == "limit", name
    _one([o.help for o in options])
    _one([(o.opts, o.secondary_opts) for o in options])
    if name not in ("out", "epochs"):  # epochs: each task has its own number
        _one([o.default for o in options])


def test_device_reads_alike_everywhere_and_data_dir_says_whose_folder_is_the_default() -> None:
    commands = [c for c in TRAIN + FASHION_READERS + FACES_READERS if "device" in _options(*c)]
    assert len(commands) >= 7
    _one([(_options(*c)["device"].help, _options(*c)["device"].default) for c in commands])
    for command in TRAIN:  # faces train said "default: the run's", which a run being trained has not
        assert "run" not in _options(*command)["data_dir"].help, command
    for command in FASHION_READERS + FACES_READERS:
        assert "the one the run was trained on" in _options(*command)["data_dir"].help, command


def test_every_picture_command_with_a_count_takes_n() -> None:
    for command in [("fashion", "anomalies"), ("faces", "reconstruct"), ("faces", "denoise"), ("vae", "sample")]:
        assert any("-n" in o.opts for o in _options(*command).values()), command
