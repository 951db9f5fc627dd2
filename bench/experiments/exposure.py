"""Experiment: does the default keep its strokes when a scan is darker or paler overall? The pages of
bench/experiments/resolution.py (dibco-extra, validation only, and the synthetic pages, seed 3000)
are re-exposed before cleaning (the ground truth is unchanged) and scored with ``--binarize``
beside raw-page Sauvola:

- ``dark``: every grey level times 0.7 (an underexposed scan: paper near 0.6);
- ``pale``: contrast halved towards white, ``1 - (1 - x) / 2`` (a washed-out scan);
- ``as is``.

    python bench/experiments/exposure.py [--model default] [--n 56]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import HEADER, page_scores, page_sets, row  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize, sauvola_threshold  # noqa: E402

EXPOSURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as is": lambda x: x,
    "dark": lambda x: x * 0.7,
    "pale": lambda x: 1 - (1 - x) / 2,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--n", type=int, default=56)
    a = p.parse_args()
    den = Denoiser.load(a.model)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), a.n)
        print(f"model {a.model}\n")
        print("| pages | exposure | method " + HEADER[0])
        print("|---|---|---" + HEADER[1])
        for title, pairs in sets.items():
            for name, expose in EXPOSURES.items():
                rows: dict[str, list[tuple]] = {"raw Sauvola": [], "docclean --binarize": []}
                for noisy_path, clean_path in pairs:
                    noisy = expose(read_gray(noisy_path)).astype(np.float32)
                    gt = read_gray(clean_path) < 0.5
                    rows["raw Sauvola"].append(page_scores(noisy < sauvola_threshold(noisy), gt))
                    rows["docclean --binarize"].append(page_scores(~binarize(den.clean(noisy)), gt))
                for method, vals in rows.items():
                    print(f"| {title} | {name} | {method} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
