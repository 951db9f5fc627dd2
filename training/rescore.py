"""Score checkpoints with a denoiser run's own validation: the held-out texts, the selection texts and
the synthetic validation pages its ``config.json`` names, by the figures its training log prints
(``training.denoiser.page_evaluator``). For what the log cannot show: the model the run started
from, an average of its kept epochs (``training.average --mean``), another run's model, on equal
terms with the run's own epochs.

    python -m training.rescore RUN MODEL [MODEL ...] [--fp32]

Prints one line per model, in the log's order of figures; ``select`` is the figure that picks a
run's checkpoint and the held-out ``val_rmse`` is only ever reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from docclean.checkpoint import load_model
from docclean.errors import ModelError
from training.denoiser import SHOWN, page_evaluator
from training.denoiser_data import find_pairs

#: The figures printed, in the training log's order (the training loss and schedule are the run's).
FIGURES = tuple(k for k in SHOWN if k not in ("train_loss", "lr", "epoch_seconds"))


def run_evaluator(run: Path, bf16: bool | None = None):
    """The ``evaluate`` function of the denoiser run in folder ``run``: its held-out, selection and
    synthetic validation pages, found by the names its config.json records; ``bf16`` None: as the
    run validated. ValueError when the folder holds no denoiser run or its pages are gone."""
    try:
        config = json.loads((Path(run) / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{run}: no denoiser run's config.json there ({exc})") from None
    if config.get("task") != "denoiser":
        raise ValueError(f"{run}: not a denoiser run (task {config.get('task')!r})")
    task = config["task_config"]
    pairs = {n.name: (n, c) for n, c in find_pairs(Path(task["data"]), task["noisy_dir"], task["clean_dir"])}
    missing = [n for n in config["val_pages"] + config["select_pages"] if n not in pairs]
    synth_val = []
    if task.get("synth_dir") and config["synthetic"]["val"]:
        val = Path(task["synth_dir"]) / "val"
        names = config["synthetic"].get("val_pages")
        if names is None:  # a run from before config.json named them: the folder's first pages, as written
            names = sorted(p.name for p in (val / "noisy").glob("*.png"))[:config["synthetic"]["val"]]
        synth_val = [(val / "noisy" / n, val / "clean" / n) for n in names]
        missing += [str(n) for pair in synth_val for n in pair if not n.exists()]
        if len(synth_val) < config["synthetic"]["val"]:
            missing.append(f"{config['synthetic']['val'] - len(synth_val)} synthetic validation pages in {val}")
    if missing:
        raise ValueError(f"{run}: its validation pages are gone: {', '.join(missing[:3])}")
    if bf16 is None:
        bf16 = config.get("precision") == "bf16"
    return page_evaluator([pairs[n] for n in config["val_pages"]], bf16, [pairs[n] for n in config["select_pages"]],
                          synth_val, task.get("eval_x2", True))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="the run folder (training.denoiser --out)")
    p.add_argument("models", type=Path, nargs="+", help="checkpoints to score")
    p.add_argument("--fp32", action="store_true", help="validate in float32 whatever the run used")
    a = p.parse_args(argv)
    try:
        evaluate = run_evaluator(a.run, False if a.fp32 else None)
        for path in a.models:
            model, _ = load_model(path)
            model.eval()
            scores = evaluate(model)
            print(f"{path}: " + ", ".join(f"{k} {scores[k]:.5g}" for k in FIGURES if k in scores), flush=True)
    except (ModelError, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
