"""Average two checkpoints of one architecture, weight by weight: a fine-tuned model and the model it
started from ("weight-space ensembling", as in WiSE-FT), which keeps much of what the fine-tune
learned while it forgets less of what the start knew. The shipped ``marks`` model is the default
averaged with its fine-tune on marks over text (``training/recipes/marks.sh``, docs/quality.md).

    python -m training.average START TUNED OUT [--weight 0.5]

``OUT`` gets ``(1 - weight) * START + weight * TUNED`` and TUNED's metadata (its command, data and
split), plus ``averaged``: both files' paths and digests, the weight, TUNED's epoch and validation
figures (not the average's) and this command, so that ``docclean models OUT`` says what it is.
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("start", type=Path, help="the model the fine-tune started from")
    p.add_argument("tuned", type=Path, help="the fine-tuned model")
    p.add_argument("out", type=Path, help="the averaged model to write (.safetensors)")
    p.add_argument("--weight", type=float, default=0.5, help="the fine-tuned model's share, 0..1 (default 0.5)")
    a = p.parse_args(argv)
    command = "python -m training.average " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        out = average(a.start, a.tuned, a.out, a.weight, command)
    except (ModelError, ValueError, OSError) as exc:
        sys.exit(f"error: {exc}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
