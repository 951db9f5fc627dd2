"""How fast would another DocUNet shape be? Network time of random-weight variants on one 300-dpi
A4 page through the engine (tiling and blending included), beside their convolution FLOPs per
pixel: for choosing a cheaper default, where time does not follow FLOPs (fixed costs, and channel
counts the CPU's matrix units do not fill).

    python bench/arch_speed.py [--backend openvino] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.clean_speed import make_page  # noqa: E402
from bench.compute_floor import flops_per_pixel  # noqa: E402
from docclean.checkpoint import save_model  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.model import DocUNet, DocUNetConfig  # noqa: E402

#: (unshuffle, widths, blocks): the default, the fast model, then candidates.
VARIANTS = [(2, [32, 64, 96, 128], [1, 2, 2, 2]), (2, [16, 32, 48, 64], [1, 1, 1, 1]),
            (2, [24, 48, 72, 96], [1, 2, 2, 2]), (2, [32, 32, 64, 96], [1, 2, 2, 2]),
            (2, [32, 64, 96, 128], [1, 1, 1, 1]), (2, [16, 64, 96, 128], [1, 2, 2, 2]),
            (2, [32, 64, 64, 64], [1, 1, 1, 1]), (4, [64, 96, 128, 128], [1, 2, 2, 2]),
            (4, [32, 64, 96, 128], [1, 2, 2, 2])]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="openvino")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_page(300, Path(tmp) / "page.png")
        page = read_gray(Path(tmp) / "page.png")
        print(f"one synthetic 300-dpi A4 page ({page.shape[1]}x{page.shape[0]}), backend {a.backend}, "
              f"best of {a.repeats}")
        print("| unshuffle | widths | blocks | kFLOP per pixel | seconds |")
        print("|---|---|---|---|---|")
        for unshuffle, widths, blocks in VARIANTS:
            torch.manual_seed(0)
            config = DocUNetConfig(unshuffle=unshuffle, widths=widths, blocks=blocks)
            path = Path(tmp) / f"u{unshuffle}-{'-'.join(map(str, widths))}-{'-'.join(map(str, blocks))}.safetensors"
            save_model(DocUNet(config).eval(), path, "docunet", config.to_dict())
            den = Denoiser.load(path, backend=a.backend)
            den.clean(page)  # compile and warm up
            times = []
            for _ in range(a.repeats):
                t = time.perf_counter()
                den.clean(page)
                times.append(time.perf_counter() - t)
            print(f"| {unshuffle} | {widths} | {blocks} | {flops_per_pixel(str(path)) / 1e3:.1f} | {min(times):.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
