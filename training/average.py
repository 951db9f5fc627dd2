"""Average two checkpoints of one architecture, weight by weight: a fine-tuned model and the model it
started from ("weight-space ensembling", as in WiSE-FT), which keeps much of what the fine-tune
learned while it forgets less of what the start knew. The shipped ``marks`` model is the default
averaged with its fine-tune on marks over text (``training/recipes/marks.sh``, docs/quality.md).

    python -m training.average START TUNED OUT [--weight 0.5]
    python -m training.average --mean OUT CKPT [CKPT ...]

``OUT`` gets ``(1 - weight) * START + weight * TUNED`` and TUNED's metadata (its command, data and
split), plus ``averaged``: both files' paths and digests, the weight, TUNED's epoch and validation
figures (not the average's) and this command, so that ``docclean models OUT`` says what it is.

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

from docclean.checkpoint import load_model, save_model
from docclean.errors import ModelError
from docclean.models import weights_digest

#: Metadata that save_model writes itself.
_OWN = ("format", "arch", "config")


def average(start: Path, tuned: Path, out: Path, weight: float = 0.5, command: str | None = None) -> Path:
    """Write ``(1 - weight) * start + weight * tuned`` to ``out`` (see the module's docstring);
    ModelError when the two are not one architecture and shape, ValueError for a weight outside 0..1."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be between 0 and 1, not {weight}")
    a, meta_a = load_model(start)
    b, meta_b = load_model(tuned)
    if (meta_a["arch"], meta_a["config"]) != (meta_b["arch"], meta_b["config"]):
        raise ModelError(f"is another architecture than {start} ({meta_b['arch']} {json.dumps(meta_b['config'])} "
                         f"against {meta_a['arch']} {json.dumps(meta_a['config'])}); only one architecture averages",
                         Path(tuned))
    sa, sb = a.state_dict(), b.state_dict()
    # Integer buffers (a batch-norm's step count) are counts, not weights: the tuned model's are kept.
    a.load_state_dict({k: (1 - weight) * v + weight * sb[k] if v.is_floating_point() else sb[k]
                       for k, v in sa.items()})
    # The fine-tune's epoch and validation figures are its own, not the average's: kept apart, so that
    # `docclean models` shows none for the average rather than another model's.
    info = {k: v for k, v in meta_b.items() if k not in _OWN + ("metrics", "epoch")}
    info["averaged"] = {"start": str(start), "start_sha256": weights_digest(Path(start)),
                        "tuned": str(tuned), "tuned_sha256": weights_digest(Path(tuned)), "weight": weight,
                        "tuned_epoch": meta_b.get("epoch"), "tuned_metrics": meta_b.get("metrics"),
                        "command": command}
    return save_model(a, out, meta_a["arch"], meta_a["config"], info)


def mean(paths: list[Path], out: Path, command: str | None = None) -> Path:
    """Write the weight-by-weight mean of the checkpoints ``paths`` (one architecture) to ``out``,
    with the last one's metadata (its command, data and split) but not its epoch and figures, and
    ``averaged``: the files, their digests and epochs, and ``command``. ModelError when they are not
    one architecture, ValueError for fewer than two."""
    if len(paths) < 2:
        raise ValueError(f"a mean needs two checkpoints or more, not {len(paths)}")
    first, meta_first = load_model(paths[0])
    total = {k: v.double() for k, v in first.state_dict().items() if v.is_floating_point()}
    metas = [meta_first]
    for path in paths[1:]:
        model, meta = load_model(path)
        if (meta["arch"], meta["config"]) != (meta_first["arch"], meta_first["config"]):
            raise ModelError(f"is another architecture than {paths[0]}; only one architecture averages", Path(path))
        for k, v in model.state_dict().items():
            if k in total:
                total[k] += v.double()
        metas.append(meta)
    state = first.state_dict()
    first.load_state_dict({k: (total[k] / len(paths)).to(v.dtype) if k in total else v for k, v in state.items()})
    info = {k: v for k, v in metas[-1].items() if k not in _OWN + ("metrics", "epoch")}
    info["averaged"] = {"of": [str(p) for p in paths], "sha256": [weights_digest(Path(p)) for p in paths],
                        "epochs": [m.get("epoch") for m in metas], "command": command}
    return save_model(first, out, meta_first["arch"], meta_first["config"], info)


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
