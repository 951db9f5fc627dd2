"""The ``docclean clean ...`` command line equivalent to the window's settings.

Built from :meth:`CleanSettings.changed`, so only settings that differ from the defaults appear
and the command stays short; a preview session becomes a batch job by pasting it. Pure Python.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docclean.settings import CleanSettings

# Setting name -> CLI flag for valued options (see cli/clean.py).
_VALUED = {
    "model": "--model", "backend": "--backend", "device": "--device", "precision": "--precision",
    "threads": "--threads", "tile_size": "--tile-size", "batch_size": "--batch-size", "fmt": "--format",
    "max_stroke": "--max-stroke",
    "dpi": "--dpi", "threshold": "--threshold", "ink_warning": "--ink-warning", "max_pixels": "--max-pixels",
}
# Boolean settings that are a bare flag when True.
_SWITCHES = {"binarize": "--binarize", "keep_faint": "--keep-faint",
             "remove_show_through": "--remove-show-through", "overwrite": "--overwrite",
             "dry_run": "--dry-run"}
# Boolean settings on by default: their flag turns them off.
_OFF_SWITCHES = {"auto_levels": "--no-auto-levels", "keep_solids": "--no-keep-solids",
                 "clear_surround": "--keep-surround", "clear_shading": "--keep-shading",
                 "keep_pictures": "--no-keep-pictures", "keep_color_marks": "--no-keep-color-marks",
                 "keep_box_writing": "--no-keep-box-writing"}
# Settings the CLI has no flag for; the GUI never changes them, so they are left out.
_NO_FLAG = {"overlap"}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def command_args(settings: CleanSettings) -> list[str]:
    """The ``docclean clean`` options (without inputs and ``-o``) that reproduce ``settings``."""
    args: list[str] = []
    for name, value in settings.changed().items():
        if name == "color":
            if value == "keep":
                args.append("--keep-color")
        elif name in _OFF_SWITCHES:
            if not value:
                args.append(_OFF_SWITCHES[name])
        elif name in _SWITCHES:
            if value:
                args.append(_SWITCHES[name])
        elif name in _VALUED and value is not None:
            args += [_VALUED[name], _number(value)]
        elif name not in _NO_FLAG and value is not None:
            args += [f"--{name.replace('_', '-')}", _number(value)]
    return args


def command_line(inputs: Sequence[str | Path], output: str | Path, settings: CleanSettings) -> str:
    """A shell-quoted ``docclean clean INPUTS -o OUTPUT [options]`` line for ``settings``."""
    parts = ["docclean", "clean", *(str(i) for i in inputs), "-o", str(output), *command_args(settings)]
    return shlex.join(parts)
