"""Experiment (recorded in bench/results/quality_real_uneven.md, not shipped): the element-wise
weighted mean of checkpoints fine-tuned from one model (a "model soup"), saved as a checkpoint.

    python bench/experiments/weight_average.py runs/soup_a.safetensors runs/dd25/best.safetensors \\
        runs/st15/best.safetensors [--weights 1 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docclean.checkpoint import load_model, save_model  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("models", nargs="+", type=Path)
    p.add_argument("--weights", nargs="+", type=float, default=None)
    a = p.parse_args()
    weights = a.weights or [1.0] * len(a.models)
    loaded = [load_model(m) for m in a.models]
    net, meta = loaded[0]
    states = [m.state_dict() for m, _ in loaded]
    mean = {k: sum(w * s[k].float() for w, s in zip(weights, states)) / sum(weights) for k in states[0]}
    net.load_state_dict(mean)
    info = {k: v for k, v in meta.items() if k not in ("format", "arch", "config")}
    info["averaged"] = [f"{w}:{m}" for w, m in zip(weights, a.models)]
    save_model(net, a.out, meta["arch"], meta["config"], info)
    print(f"saved {a.out}")


if __name__ == "__main__":
    main()
