"""The files of a training run folder, each written whole (``docclean.atomic``): ``config.json``,
``metrics.csv``, the trainer state beside the checkpoints, the guard that refuses to resume a
folder holding a different run (or the same run on other pages), the one that refuses a run
folder that would write over the user's own files, and what starting a run over in its folder
removes.

A run folder holds one run. Resuming it with another architecture, network config, optimizer or
task config would either fail deep inside ``load_state_dict`` or, worse, silently continue a
different experiment; :func:`check_resumable` stops that first, naming the field that differs.
Such a refusal is a usage error (exit 2) whichever field it is: the options given ask for another
run. :func:`check_epochs_left` refuses fewer epochs than the run has already trained.
"""

from __future__ import annotations

import csv
import errno
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from docclean.atomic import atomic_path
from docclean.errors import DataError, DiskFullError, DocCleanError, OutputError, UsageError

RESUME_FREE_KEYS = frozenset({"data_dir", "data", "download", "verify"})
"""Task-config fields a resumed run may change: where the data lives and how it is fetched or
checked, which do not change what the run trains on."""

TASK_KEYS = ("task", "task_config")
"""The keys under which tasks store their own config in ``info`` (and so in config.json)."""

RUN_CONFIG = "config.json"
"""The file ``training.loop.fit`` describes its run in: what marks a folder as a run's."""

RUN_FILES = ("metrics.csv", "best.safetensors", "last.safetensors", "state.safetensors")
"""What ``training.loop.fit`` writes beside :data:`RUN_CONFIG`: a run started over removes them."""

HISTORY_FROM = 1
"""``metrics.csv`` counts epochs from 1, as the progress lines, pictures and eval.json do (files
written before counted from 0, in floats: :func:`read_history` reads both)."""


def output_error(what: str, exc: OSError, path: str | Path) -> OutputError:
    """One line for a failed write (``cannot write the picture (Permission denied)``): DiskFullError
    when the disk or quota is full, else OutputError, naming ``path``."""
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return (DiskFullError if full else OutputError)(f"cannot {what} ({exc.strerror or exc})", path)


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


def _first_difference(saved: Any, now: Any, prefix: str, skip: frozenset[str] = frozenset(),
                      new_keys_free: bool = False) -> str | None:
    """The dotted name of the first field where two JSON values differ, or None if they agree.
    ``new_keys_free``: top-level keys absent from ``saved`` are not compared (an option added to
    a task since the run was made, whose default keeps the old behaviour)."""
    if isinstance(saved, dict) and isinstance(now, dict):
        for key in sorted(set(saved) | set(now)):
            if key in skip or (new_keys_free and key not in saved):
                continue
            found = _first_difference(saved.get(key), now.get(key), f"{prefix}.{key}")
            if found:
                return found
        return None
    # Through JSON, so a tuple now equals the list it was saved as, and paths compare as strings.
    same = json.loads(json.dumps(saved, default=str)) == json.loads(json.dumps(now, default=str))
    return None if same else prefix


#: How the teaching suite's commands (fashion, vae, faces) start a run afresh in its folder.
NO_RESUME = "start over with --no-resume"


def resume_hint(start_over: str | None) -> str:
    """What a refused resume advises: another --out, or ``start_over`` where the command has it."""
    return "choose another --out" + (f" or {start_over}" if start_over else "")


def check_resumable(out_dir: Path, run_config: dict[str, Any], start_over: str | None = NO_RESUME) -> None:
    """Refuse to resume ``out_dir`` when its ``config.json`` describes a different run.

    Compared: ``arch``, ``model_config``, the optimizer and the seed (the weights or optimizer state
    would not fit, or the run would draw other batches) and the task's own config (the run would
    continue on other data or another objective), except the fields in :data:`RESUME_FREE_KEYS` and
    fields the saved config does not have (options added since; their defaults keep the old
    behaviour). Each refusal is a UsageError (exit 2): the options given differ from the run's. A
    config.json that is not JSON is a DataError (exit 1): a damaged file, not an option. Epochs,
    learning rate, patience and the like may change: that is what resuming with new options is for.
    ``start_over`` is the caller's advice for starting afresh in the same folder (its flag), offered
    beside choosing another --out; None for a command that cannot (``docclean train`` has no
    --no-resume).
    """
    path = Path(out_dir) / "config.json"
    if not path.exists():
        return
    hint = resume_hint(start_over)
    try:
        saved = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"run folder's config.json is not valid JSON ({exc}); {hint}", path) from None
    for key in ("arch", "model_config"):
        field = _first_difference(saved.get(key), run_config.get(key), key)
        if field:
            # Another kind of network: starting over would overwrite a run of another kind in place.
            advice = "choose another --out" if key == "arch" else hint
            raise UsageError(f"cannot resume: the run folder holds a different model ({field} differs: "
                             f"{_value(saved, field)!r} there, {_value(run_config, field)!r} now); {advice}", path)
    _check_fit_field(saved, run_config, "optimizer", hint, path)
    # The seed draws the shuffling and the noise of every epoch still to come: another one makes
    # another run, however alike its config.json would then read.
    _check_fit_field(saved, run_config, "seed", hint, path)
    for key in TASK_KEYS:
        if key in saved or key in run_config:
            field = _first_difference(saved.get(key), run_config.get(key), key, RESUME_FREE_KEYS, new_keys_free=True)
            if field:
                raise UsageError(f"cannot resume: the run folder was trained with another task config ({field} "
                                 f"differs: {_value(saved, field)!r} there, {_value(run_config, field)!r} now); "
                                 f"{hint}", path)


def _check_fit_field(saved: dict[str, Any], run_config: dict[str, Any], key: str, hint: str, path: Path) -> None:
    """UsageError when ``fit.<key>`` differs between the saved and the new config. A saved config
    without the field (written before it was recorded) resumes with any value."""
    was, now = saved.get("fit", {}).get(key), run_config.get("fit", {}).get(key)
    if was is not None and was != now:
        raise UsageError(f"cannot resume: fit.{key} differs ({was!r} there, {now!r} now); {hint}", path)


def check_epochs_left(epochs: int, done: int, partial: bool) -> None:
    """UsageError (flag ``--epochs``) when a run that has trained ``done`` epochs (and, with
    ``partial``, stopped part way through the next) is resumed with fewer ``epochs`` than that:
    nothing would train, and config.json would store the smaller figure. As many as it has done,
    none stopped part way, is a finished run asked again: nothing to do, and no error. The same
    words as ``docclean train``'s refusal (``training.retrain_config.check_epochs``)."""
    if epochs < done + partial:
        part = " and part of the next" if partial else ""
        raise UsageError(f"the run has already trained {done} epoch{'s' if done != 1 else ''}{part}; give more than "
                         f"{done} to train it further", settings=("epochs",))


def _value(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


_DESKTOP_FILES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r"})


def check_out_folder(out: Path, inputs: dict[str, str | None], marker: str,
                     ignore: frozenset[str] = frozenset(), is_run: Callable[[Path], bool] | None = None) -> None:
    """UsageError (flag ``--out``) when ``out`` may not become a run folder: it is, lies inside or
    holds one of the ``inputs`` (flag -> folder; the run's files would land among the pages, and
    samples.png over a page of the same name), it is a file, or it is a folder with files in it
    (other than ``ignore``) but no earlier run: no ``marker`` file, or, with ``is_run``, ``is_run(out)``
    is false (a ``marker`` of the same name that some other program wrote is no run's). Folders are
    compared resolved, so ``..`` and symlinks cannot hide an overlap."""
    out = Path(out).expanduser().resolve()
    for flag, folder in inputs.items():
        if folder is None:
            continue
        where = Path(folder).expanduser().resolve()
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
    removed = []
    with writing_in(out, "remove the earlier run's files"):
        for pattern in (*RUN_FILES, *derived):
            for path in sorted(Path(out).glob(pattern)):
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed.append(path)
    return removed


def check_same_pages(out: Path, train_pages: list[str], val_pages: list[str]) -> None:
    """DataError when the run saved in ``out/config.json`` trained on other pages (``train_pages``
    and ``val_pages`` as ``PATH#PAGE``) or split them otherwise: resuming would silently carry on
    with another training and validation set. Nothing when no pages were recorded."""
    try:
        saved = json.loads((Path(out) / "config.json").read_text())
    except (OSError, ValueError):
        return
    if not isinstance(saved.get("train_pages"), list) or not isinstance(saved.get("val_pages"), list):
        return
    was = {**dict.fromkeys(_pages(saved["train_pages"]), "train"), **dict.fromkeys(_pages(saved["val_pages"]), "val")}
    now = {**dict.fromkeys(_pages(train_pages), "train"), **dict.fromkeys(_pages(val_pages), "val")}
    added, gone = sorted(now.keys() - was.keys()), sorted(was.keys() - now.keys())
    hint = "start a new run with another --out"
    if added or gone:
        raise DataError(f"cannot resume: the pairs changed since the run started ({len(added)} added, {len(gone)} "
                        f"gone, e.g. {(added or gone)[0]}); {hint}", out)
    moved = sorted(page for page in now if now[page] != was[page])
    if moved:
        raise DataError(f"cannot resume: the training/validation split changed since the run started ({len(moved)} "
                        f"page(s) changed side, e.g. {moved[0]}); {hint}", out)


def _pages(pages: list[str]) -> list[str]:
    """``PATH#PAGE`` with PATH resolved, so a run started through ``..`` or a symlink compares equal."""
    resolved = []
    for page in pages:
        path, _, index = str(page).rpartition("#")
        resolved.append(f"{Path(path).resolve()}#{index}")
    return resolved
