"""The files of a training run folder, each written whole (``docclean.atomic``): ``config.json``,
``metrics.csv``, the trainer state beside the checkpoints, the guard that refuses a run folder
that would write over the user's own files, and what starting a run over in its folder removes.
Resuming a folder that holds another run is refused by ``training.resume_guard``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from docclean import errors
from docclean.atomic import atomic_path
from docclean.errors import DocCleanError, OutputError, UsageError
from docclean.places import user_path

RESUME_FREE_KEYS = frozenset({"data_dir", "data", "download", "verify"})
"""Task-config fields a resumed run may change: where the data lives and how it is fetched or
checked, which do not change what the run trains on."""

TASK_KEYS = ("task", "task_config")
"""The keys under which tasks store their own config in ``info`` (and so in config.json)."""

RUN_CONFIG = "config.json"
"""The file ``training.loop.fit`` describes its run in: what marks a folder as a run's."""

RUN_FILES = ("metrics.csv", "best.safetensors", "last.safetensors", "state.safetensors")
"""What ``training.loop.fit`` writes beside :data:`RUN_CONFIG`: a run started over removes them."""

EPOCHS_DIR = "epochs"
"""Where ``FitConfig.keep_every`` keeps the weights of every so many epochs (a fresh start clears it)."""

HISTORY_FROM = 1
"""``metrics.csv`` counts epochs from 1, as the progress lines, pictures and eval.json do (files
written before counted from 0, in floats: :func:`read_history` reads both)."""


def output_error(what: str, exc: OSError, path: str | Path) -> OutputError:
    """One line for a failed write (``cannot write the picture (Permission denied)``): DiskFullError
    when the disk or quota is full, else OutputError, naming ``path`` (``docclean.errors.output_error``)."""
    return errors.output_error(f"cannot {what}", exc, path)


@contextmanager
def writing_in(path: str | Path, what: str = "write in the run folder") -> Iterator[None]:
    """Run a block that writes ``path`` (a run folder's files, a picture): an OSError (no permission,
    a full disk) becomes one :func:`output_error` (``cannot WHAT (reason)``) naming ``path``, not the
    temporary file the write was going through."""
    try:
        yield
    except OSError as exc:
        raise output_error(what, exc, path) from None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str))


def write_csv(path: Path, history: list[dict[str, float]]) -> None:
    """Write one row per epoch (the union of all rows' keys as columns), atomically. The rows'
    ``epoch`` is fit's index, counted from 0; the file counts from :data:`HISTORY_FROM`, in whole
    numbers (``1``, not ``0.0``), as everything a person reads does."""
    keys: list[str] = []
    for row in history:
        keys += [k for k in row if k not in keys]
    rows = [{**row, "epoch": int(row["epoch"]) + HISTORY_FROM} if "epoch" in row else row for row in history]
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def read_history(out_dir: Path) -> list[dict[str, float]]:
    """Read a run folder's ``metrics.csv`` back as a list of rows of floats, ``epoch`` as fit counts
    it (from 0, as in the rows fit returns and the checkpoints' metadata), whichever way the file
    counts: from 1 (:func:`write_csv`), or from 0 (a file written before, whose first row is 0)."""
    path = Path(out_dir) / "metrics.csv"
    if not path.exists():
        return []
    with path.open() as f:
        rows = [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]
    shift = HISTORY_FROM if rows and rows[0].get("epoch") == HISTORY_FROM else 0
    for row in rows:
        if "epoch" in row:
            row["epoch"] = int(row["epoch"]) - shift
    return rows


def optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (for safetensors) and JSON (the rest)."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"opt.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    """Load what :func:`optimizer_tensors` split back into ``opt`` (its tensors follow the params' device)."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = value
    for idx, values in info.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(values)
    opt.load_state_dict({"state": state, "param_groups": info["param_groups"]})


_DESKTOP_FILES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r"})


def check_out_folder(out: Path, inputs: dict[str, str | None], marker: str,
                     ignore: frozenset[str] = frozenset(), is_run: Callable[[Path], bool] | None = None) -> None:
    """UsageError (flag ``--out``) when ``out`` may not become a run folder: it is, lies inside or
    holds one of the ``inputs`` (flag -> folder; the run's files would land among the pages, and
    samples.png over a page of the same name), it is a file, or it is a folder with files in it
    (other than ``ignore``) but no earlier run: no ``marker`` file, or, with ``is_run``, ``is_run(out)``
    is false (a ``marker`` of the same name that some other program wrote is no run's). Folders are
    compared resolved, so ``..`` and symlinks cannot hide an overlap."""
    out = user_path(out).resolve()
    for flag, folder in inputs.items():
        if folder is None:
            continue
        where = user_path(folder).resolve()
        how = ("is" if out == where else "lies inside" if where in out.parents
               else "holds" if out in where.parents else None)
        if how is not None:
            named = f"the {flag} folder" if out == where else f"the {flag} folder {where}"
            raise UsageError(f"the run folder {how} {named}; give a run folder of its own", out, settings=("out",))
    if out.exists() and not out.is_dir():
        raise UsageError("not a folder; give a new or empty folder for the run", out, settings=("out",))
    if out.is_dir() and not (is_run(out) if is_run is not None else (out / marker).is_file()):
        # Hidden files and the desktop's own (Finder's .DS_Store, Explorer's Thumbs.db) come with
        # merely looking at a new folder, and the run writes none of those names.
        others = sorted(entry.name for entry in out.iterdir() if entry.name not in ignore
                        and not entry.name.startswith(".") and entry.name not in _DESKTOP_FILES)
        if others:  # the run would replace config.json, metrics.csv, ... of whatever is there
            which = f"its {marker} is no run's" if (out / marker).exists() else marker
            raise UsageError(f"the folder already holds other files (e.g. {others[0]}) but no earlier run "
                             f"({which}); give a new or empty folder", out, settings=("out",))


def _run_config(out: Path) -> dict[str, Any] | None:
    """The run folder's config.json when it is one ``training.loop.fit`` wrote (a JSON object naming
    ``arch``, ``model_config`` and ``fit``), else None (missing, unreadable, some other program's)."""
    try:
        saved = json.loads((Path(out) / RUN_CONFIG).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return saved if isinstance(saved, dict) and {"arch", "model_config", "fit"} <= saved.keys() else None


def _checkpoint_arch(path: Path) -> str | None:
    """The ``arch`` a checkpoint's metadata names, or None when it cannot be read."""
    from docclean.checkpoint import read_metadata

    try:
        arch = read_metadata(path).get("arch")
    except (DocCleanError, OSError):
        return None
    return arch if isinstance(arch, str) else None


def holds_run(out: Path) -> bool:
    """Whether ``out`` holds a run of ``training.loop.fit``: its config.json, or (config.json lost or
    damaged) its trainer state. The ``is_run`` of the suite's :func:`check_out_folder`."""
    from docclean.models import TRAINER_STATE

    return _run_config(out) is not None or _checkpoint_arch(Path(out) / "state.safetensors") == TRAINER_STATE


def saved_arch(out: Path) -> str | None:
    """The network of the run in ``out``: what its config.json names, else what its checkpoints do;
    None when nothing there says."""
    config = _run_config(out)
    if config is not None:
        return str(config["arch"])
    for name in ("last.safetensors", "best.safetensors"):
        arch = _checkpoint_arch(Path(out) / name)
        if arch is not None:
            return arch
    return None


def check_fit_folder(out: Path, arch: str, resuming: bool) -> None:
    """UsageError, before anything is written, when ``out`` may not hold this run of ``arch``: it is
    a file, or it holds other files but no earlier run (:func:`check_out_folder`), or, when the run
    starts afresh (``resuming`` false: ``--no-resume``, or nothing to resume), it holds a run of
    another network. Starting over replaces the run in place, which is for a run of the same kind
    (other options, a fresh start); a run of another kind is kept: choose another folder. A resumed
    run is checked further by :func:`check_resumable`."""
    check_out_folder(out, {}, RUN_CONFIG, is_run=holds_run)
    there = None if resuming or not Path(out).is_dir() else saved_arch(out)
    if there is not None and there != arch:
        raise UsageError(f"cannot start over: the run folder holds a different model ({there!r}, not {arch!r}); "
                         "choose another --out", out)


def clear_run(out: Path, derived: Iterable[str] = ()) -> list[Path]:
    """Remove the earlier run from ``out`` before a fresh one starts there: fit's files
    (:data:`RUN_FILES`; config.json is rewritten at once) and the files matching the ``derived``
    patterns (what a task's commands made from that run's model: scores, pictures), so none is left
    to describe a model that is gone. Returns what was removed; OutputError when it cannot be."""
    removed = _remove(out, (*RUN_FILES, f"{EPOCHS_DIR}/epoch_*.safetensors", *derived),
                      "remove the earlier run's files")
    kept = Path(out) / EPOCHS_DIR
    if kept.is_dir() and not any(kept.iterdir()):
        with writing_in(kept, "remove the earlier run's kept epochs"):
            kept.rmdir()  # a fresh run without --keep-every would leave it standing empty
    return removed


def clear_derived(out: Path, derived: Iterable[str]) -> list[Path]:
    """Remove the files matching the ``derived`` patterns from ``out`` when its run trains further
    (its checkpoints are about to change): scores and pictures of the model it held would otherwise
    pass for the new one's. Only those names go, never the run itself or other files; returns what
    was removed, OutputError when it cannot be."""
    return _remove(out, tuple(derived), "remove the scores and pictures of the earlier model")


def _remove(out: Path, patterns: tuple[str, ...], what: str) -> list[Path]:
    removed = []
    with writing_in(out, what):
        for pattern in patterns:
            for path in sorted(Path(out).glob(pattern)):
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed.append(path)
    return removed
