"""The guard on resuming a run folder: it refuses a folder that holds a different run, or the same
run on other pages, naming what differs (:func:`check_resumable`, :func:`check_same_pages`), and
fewer epochs than the run has trained (:func:`check_epochs_left`).

A run folder holds one run. Resuming it with another architecture, network config, optimizer or
task config would either fail deep inside ``load_state_dict`` or, worse, silently continue a
different experiment; :func:`check_resumable` stops that first, naming the field that differs.
Such a refusal is a usage error (exit 2) whichever field it is: the options given ask for another
run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docclean.errors import DataError, UsageError
from training.run_folder import RESUME_FREE_KEYS, TASK_KEYS


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


#: Fit options that say where the run is or whether to resume it, not how it trains.
_NOT_TRAINING = frozenset({"out_dir", "resume"})


def unused_options(out_dir: Path, run_config: dict[str, Any]) -> str | None:
    """For a resumed run that trained nothing: one line naming the fit options given that differ
    from those its ``config.json`` keeps (``fit.lr 0.01 (the run's: 0.002)``), which were not used
    and are not stored; None when none differ or the file cannot be read. Only options a resume may
    change are named: the others (seed, optimizer, the task's config) are refused before this."""
    try:
        saved = json.loads((Path(out_dir) / "config.json").read_text()).get("fit", {})
    except (OSError, ValueError, AttributeError):
        return None
    now = run_config.get("fit", {})
    changed = [f"fit.{key} {now[key]!r} (the run's: {saved[key]!r})" for key in sorted(now.keys() & saved.keys())
               if key not in _NOT_TRAINING and _first_difference(saved[key], now[key], key)]
    if not changed:
        return None
    return (f"nothing was trained, so the options that differ from the run's were not used: {', '.join(changed)}; "
            "its config.json keeps the run's")


def _value(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


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
