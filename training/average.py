"""Average two checkpoints of one architecture, weight by weight: a fine-tuned model and the model it
started from ("weight-space ensembling", as in WiSE-FT), which keeps much of what the fine-tune
learned while it forgets less of what the start knew. The shipped ``marks`` model is the default
averaged with the mean of the late epochs of a fine-tune on marks over text
(``training/recipes/marks.sh``, docs/quality.md).

    python -m training.average START TUNED OUT [--weight 0.5]
    python -m training.average --mean OUT CKPT [CKPT ...]

``OUT`` gets ``(1 - weight) * START + weight * TUNED`` and TUNED's metadata (its command, data and
split), plus ``averaged``: both files' paths and digests, the weight, TUNED's epoch and validation
figures (not the average's) and this command, so that ``docclean models OUT`` says what it is; when
TUNED is itself a mean (``--mean``), its own record goes along as ``tuned_averaged``.

``--mean`` writes the plain mean of several checkpoints of one run, such as the epochs that
``training.denoiser --keep-every`` kept near the end of its schedule (averaging the weights a run
passes through, as in stochastic weight averaging: one model that lies between the epochs'
wanderings instead of whichever one epoch a noisy selection figure happened to favour).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from torch import nn

from docclean.checkpoint import load_model, save_model
from docclean.errors import ModelError
from docclean.models import weights_digest

#: Metadata that save_model writes itself.
_OWN = ("format", "arch", "config")


def _one_architecture(paths: list[Path]) -> list[tuple[nn.Module, dict]]:
    """Load the checkpoints ``paths``; ModelError naming the first that is not the first's architecture."""
    loaded = [load_model(p) for p in paths]
    first = loaded[0][1]
    for path, (_, meta) in zip(paths[1:], loaded[1:]):
        if (meta["arch"], meta["config"]) != (first["arch"], first["config"]):
            raise ModelError(f"is another architecture than {paths[0]} ({meta['arch']} {json.dumps(meta['config'])} "
                             f"against {first['arch']} {json.dumps(first['config'])}); only one architecture averages",
                             Path(path))
    return loaded


def _weighted(loaded: list[tuple[nn.Module, dict]], weights: list[float]) -> nn.Module:
    """The first model holding the weighted sum of every model's floating tensors (summed in float64).
    Integer buffers (a batch-norm's step count) are counts, not weights: the last model's are kept."""
    states = [model.state_dict() for model, _ in loaded]
    model = loaded[0][0]
    model.load_state_dict({k: sum(w * s[k].double() for w, s in zip(weights, states)).to(v.dtype)
                           if v.is_floating_point() else states[-1][k] for k, v in states[0].items()})
    return model


def _own_metadata(meta: dict) -> dict:
    """A checkpoint's metadata without what save_model writes and without its epoch and validation
    figures, which are its own and not an average's: `docclean models` then shows none for the average
    rather than another model's."""
    return {k: v for k, v in meta.items() if k not in _OWN + ("metrics", "epoch")}


def average(start: Path, tuned: Path, out: Path, weight: float = 0.5, command: str | None = None) -> Path:
    """Write ``(1 - weight) * start + weight * tuned`` to ``out`` (see the module's docstring);
    ModelError when the two are not one architecture and shape, ValueError for a weight outside 0..1."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be between 0 and 1, not {weight}")
    loaded = _one_architecture([Path(start), Path(tuned)])
    model = _weighted(loaded, [1 - weight, weight])
    meta_a, meta_b = loaded[0][1], loaded[1][1]
    info = _own_metadata(meta_b)
    info["averaged"] = {"start": str(start), "start_sha256": weights_digest(Path(start)),
                        "tuned": str(tuned), "tuned_sha256": weights_digest(Path(tuned)), "weight": weight,
                        "tuned_epoch": meta_b.get("epoch"), "tuned_metrics": meta_b.get("metrics"),
                        "command": command}
    if isinstance(meta_b.get("averaged"), dict):  # TUNED is itself an average (a run's kept epochs): keep its record
        info["averaged"]["tuned_averaged"] = meta_b["averaged"]
    return save_model(model, out, meta_a["arch"], meta_a["config"], info)


def mean(paths: list[Path], out: Path, command: str | None = None) -> Path:
    """Write the weight-by-weight mean of the checkpoints ``paths`` (one architecture) to ``out``,
    with the last one's metadata (its command, data and split) but not its epoch and figures, and
    ``averaged``: the files, their digests and epochs, and ``command``. ModelError when they are not
    one architecture, ValueError for fewer than two."""
    if len(paths) < 2:
        raise ValueError(f"a mean needs two checkpoints or more, not {len(paths)}")
    loaded = _one_architecture([Path(p) for p in paths])
    model = _weighted(loaded, [1 / len(paths)] * len(paths))
    metas = [meta for _, meta in loaded]
    info = _own_metadata(metas[-1])
    info["averaged"] = {"of": [str(p) for p in paths], "sha256": [weights_digest(Path(p)) for p in paths],
                        "epochs": [m.get("epoch") for m in metas], "command": command}
    return save_model(model, out, metas[0]["arch"], metas[0]["config"], info)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--mean"]:
        p = argparse.ArgumentParser(prog="python -m training.average --mean",
                                    description="The mean of several checkpoints of one run.")
        p.add_argument("out", type=Path, help="the averaged model to write (.safetensors)")
        p.add_argument("models", type=Path, nargs="+", help="the checkpoints, two or more")
        a = p.parse_args(argv[1:])
        try:
            out = mean(a.models, a.out, "python -m training.average " + shlex.join(argv))
        except (ModelError, ValueError, OSError) as exc:
            sys.exit(f"error: {exc}")
        print(f"wrote {out}")
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("start", type=Path, help="the model the fine-tune started from")
    p.add_argument("tuned", type=Path, help="the fine-tuned model")
    p.add_argument("out", type=Path, help="the averaged model to write (.safetensors)")
    p.add_argument("--weight", type=float, default=0.5, help="the fine-tuned model's share, 0..1 (default 0.5)")
    a = p.parse_args(argv)
    command = "python -m training.average " + shlex.join(argv)
    try:
        out = average(a.start, a.tuned, a.out, a.weight, command)
    except (ModelError, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
