"""Trained Fashion-MNIST runs: which folders are ones (:func:`not_a_fashion_run`, and of many
folders given, :func:`fashion_runs`), the task a run was trained on (:func:`run_task`) and its
best checkpoint, rebuilt (:func:`load_run`). ``compare runs/*`` meets the denoiser's and the VAE's
runs too: they are told apart by their checkpoint's architecture, without reading a tensor.
``training.suite.fashion_eval`` scores, compares and probes the runs these find.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from torch import nn

from docclean.checkpoint import load_model, read_metadata
from docclean.errors import DocCleanError, ModelError, UsageError
from training.suite.fashion import FashionTaskConfig, prepare_model
from training.suite.fashion_models import ARCH_PREFIX


def run_task(meta: dict[str, Any], verify: bool | None = None) -> FashionTaskConfig:
    """The task config stored in a checkpoint's metadata (unknown keys from newer versions ignored);
    ``verify`` given replaces the run's own MD5 setting (``--no-verify`` scores a run trained on the
    official files on a copy of one's own, ``--verify`` checks a run trained without the check)."""
    known = {f.name for f in fields(FashionTaskConfig)}
    task = FashionTaskConfig(**{k: v for k, v in meta.get("task", {}).items() if k in known})
    return task if verify is None else replace(task, verify=verify)


def not_a_fashion_run(run_dir: Path) -> str | None:
    """Why ``run_dir`` is no Fashion-MNIST run (it has no best checkpoint, or one of another kind:
    ``compare runs/*`` meets the denoiser's and the VAE's runs too), or None; reads no tensor."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        return "no such run folder"
    if run_dir.is_file():
        return "a file: give the run folder that holds it"
    path = run_dir / "best.safetensors"
    if not path.is_file():
        return "run folder has no best checkpoint (train it first)"
    try:
        arch = str(read_metadata(path).get("arch", ""))
    except DocCleanError as exc:
        return exc.reason
    except OSError as exc:
        return str(exc)
    if arch.startswith(ARCH_PREFIX):
        return None
    return f"not a Fashion-MNIST autoencoder checkpoint (architecture {arch!r})"


def load_run(run_dir: Path, device: str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """The best checkpoint of a run folder, rebuilt by ``docclean.checkpoint.load_model`` and placed
    on ``device`` in eval mode. ModelError when it is missing or not a Fashion-MNIST autoencoder."""
    path = Path(run_dir) / "best.safetensors"
    reason = not_a_fashion_run(run_dir)
    if reason is not None:
        raise ModelError(reason, path if Path(run_dir).is_dir() else run_dir)
    model, meta = load_model(path)
    return prepare_model(model, device).eval(), meta


def fashion_runs(run_dirs: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The Fashion-MNIST runs among ``run_dirs`` and the others with the reason each is left out
    (``compare runs/*`` meets the denoiser's and the VAE's runs too); a folder named twice (``a``
    and ``./a``) is one run. UsageError when a single folder named is no such run, or none is."""
    runs, others, seen = [], [], set()
    for run in run_dirs:
        key = Path(run).resolve()
        if key in seen:
            continue
        seen.add(key)
        reason = not_a_fashion_run(run)
        if reason is None:
            runs.append(run)
        elif len(run_dirs) == 1:
            raise UsageError(reason, run)
        else:
            others.append((run, reason))
    if not runs:
        raise UsageError("none of these folders is a Fashion-MNIST run")
    return runs, others
