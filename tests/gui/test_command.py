"""The equivalent command line, and the two ways to start the app."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from docclean.settings import CleanSettings
from gui.command import command_args, command_line


@pytest.mark.parametrize("settings", [
    CleanSettings(),
    CleanSettings(binarize=True),
    CleanSettings(binarize=True, keep_faint=True),
    CleanSettings(binarize=True, remove_show_through=True),
    CleanSettings(binarize=True, threshold=0.35, fmt="tiff", dpi=300.0),
    CleanSettings(color="keep", model="runs/mine/best.safetensors", backend="torch", device="cpu",
                  precision="fp32", threads=1, tile_size=512, batch_size=4, ink_warning=0.25),
])
def test_command_line_rebuilds_the_same_settings(settings, monkeypatch, tmp_path) -> None:
    """The line the window shows, run through the real CLI, asks for exactly these settings."""
    import cli.clean
    from cli.main import app

    seen: dict[str, object] = {}

    def fake_run(inputs, output, s, report, **kw):  # noqa: ANN001, ANN003
        seen.update(inputs=inputs, output=output, settings=s)
        return 0

    monkeypatch.setattr(cli.clean, "run_clean", fake_run)
    line = command_line([tmp_path / "my scans"], tmp_path / "out", settings)
    argv = shlex.split(line)
    assert argv[:2] == ["docclean", "clean"]
    result = CliRunner().invoke(app, argv[1:])
    assert result.exit_code == 0, result.output
    assert seen["settings"] == settings
    assert seen["inputs"] == [str(tmp_path / "my scans")]


def test_defaults_give_a_bare_command() -> None:
    assert command_args(CleanSettings()) == []
    assert command_args(CleanSettings(binarize=True, threshold=0.5)) == ["--binarize", "--threshold", "0.5"]


def test_docclean_help_lists_gui_without_loading_qt_or_torch() -> None:
    code = ("import sys; from typer.testing import CliRunner; from cli.main import app; "
            "r = CliRunner().invoke(app, ['--help']); assert 'gui' in r.output, r.output; "
            "print(sorted(m for m in ('PySide6', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docclean_gui_entry_point_help(capsys) -> None:
    from gui.app import main

    assert main(["--help"]) == 0
    assert "docclean-gui" in capsys.readouterr().out


def test_docclean_gui_without_pyside6_says_how_to_install(monkeypatch) -> None:
    from cli.main import app

    monkeypatch.setitem(sys.modules, "PySide6", None)  # import PySide6 now raises ImportError
    result = CliRunner().invoke(app, ["gui"])
    assert result.exit_code == 2
    assert "PySide6" in result.output
