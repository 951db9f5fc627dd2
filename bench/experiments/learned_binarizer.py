"""Experiment (recorded in bench/results/binarize_synthetic.md, not shipped): a learned per-pixel
binarizer. A small MLP on 17 features of the cleaned and the raw page, trained with balanced BCE on
synthetic pages (seed 7000, black targets, cleaned by the model), scored at several cuts beside the
adaptive ``--binarize`` on the held-out synthetic pages of bench/binarize_synthetic.py (seed 3000) and
on the historical pages of real-scans/dibco-extra (validation only).

    python bench/experiments/learned_binarizer.py [--model default] [--train 112] [--n 56]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docclean import postprocess as pp  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.inkloss import median_paper  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.synth.pairs import PairKind, write_pairs  # noqa: E402

DIBCO = Path(__file__).resolve().parents[3] / "shared/data/real-scans/dibco-extra"
CUTS = (0.5, 0.7, 0.85, 0.93)
NFEAT = 17


def box(x: np.ndarray, k: int) -> np.ndarray:
    return cv2.boxFilter(x, cv2.CV_32F, (k, k), borderType=cv2.BORDER_REFLECT)


def features(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(H, W, NFEAT) per-pixel features of the cleaned page ``c`` and the raw page ``n``."""
    f = [c, c - pp.sauvola_threshold(c), c - np.float32(pp.global_cut(c)),
         cv2.erode(c, np.ones((3, 3), np.uint8)), cv2.dilate(c, np.ones((3, 3), np.uint8))]
    for k in (7, 21, 61):
        m = box(c, k)
        f += [c - m, np.sqrt(np.maximum(box(c * c, k) - m * m, 0))]
    paper = median_paper(n)
    f += [n / np.maximum(paper, 0.05), paper - n,
          cv2.morphologyEx(n, cv2.MORPH_BLACKHAT, np.ones((15, 15), np.uint8)),
          cv2.morphologyEx(c, cv2.MORPH_BLACKHAT, np.ones((15, 15), np.uint8)),
          cv2.GaussianBlur(c, (0, 0), 1.0), cv2.GaussianBlur(c, (0, 0), 2.5) - c]
    return np.stack(f, -1).astype(np.float32)


def synthetic(den: Denoiser, n: int, seed: int, folder: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(cleaned, noisy, truth ink) of ``n`` black-target synthetic pages."""
    names = write_pairs(folder, n, seed=seed, kind=PairKind(graded=False), workers=2)
    out = []
    for name in names:
        noisy = read_gray(folder / "noisy" / name)
        out.append((den.clean(noisy), noisy, read_gray(folder / "clean" / name) < 0.5))
    return out


def train(pages: list, rng: np.random.Generator) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The MLP, trained on ink, paper within 2 px of ink and other paper, 6000 pixels of each per page."""
    xs, ys = [], []
    for c, n, gt in pages:
        feats = features(c, n).reshape(-1, NFEAT)
        near = cv2.dilate(gt.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~gt
        for idx in (np.flatnonzero(gt), np.flatnonzero(near), np.flatnonzero(~near & ~gt)):
            pick = rng.choice(idx, min(6000, idx.size), replace=False) if idx.size else idx
            xs.append(feats[pick])
            ys.append(gt.ravel()[pick])
    x, y = torch.tensor(np.concatenate(xs)), torch.tensor(np.concatenate(ys)).float()
    mu, sd = x.mean(0), x.std(0) + 1e-6
    x = (x - mu) / sd
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(NFEAT, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _ in range(8):
        for b in torch.randperm(len(y)).split(4096):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x[b]).squeeze(1), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval(), mu, sd


def report(title: str, pages: list, net: torch.nn.Module, mu: torch.Tensor, sd: torch.Tensor) -> None:
    found: dict[str, list] = {}
    for c, n, gt in pages:
        with torch.inference_mode():
            prob = torch.sigmoid(net((torch.from_numpy(features(c, n).reshape(-1, NFEAT)) - mu) / sd)).numpy()
        masks = {"--binarize (adaptive)": ~pp.binarize(c)}
        masks.update({f"learned, p > {t}": prob.reshape(gt.shape) > t for t in CUTS})
        for name, ink in masks.items():
            found.setdefault(name, []).append((*binary_scores(ink, gt), *strokes_lost(ink, gt)))
    print(f"\n{title}: {len(pages)} pages\n")
    print("| rule | F-measure | PSNR dB | recall median | recall min | strokes lost | worst page |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in found.items():
        r = np.array(rows)
        lost, worst = strokes_lost_share(r[:, 4:6])
        print(f"| {name} | {r[:, 0].mean():.2f} | {r[:, 1].mean():.2f} | {np.median(r[:, 3]):.3f} | "
              f"{r[:, 3].min():.3f} | {lost:.2%} | {worst:.1%} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--train", type=int, default=112, help="synthetic training pages (seed 7000)")
    p.add_argument("--n", type=int, default=56, help="held-out synthetic pages (seed 3000)")
    a = p.parse_args()
    den = Denoiser.load(a.model)
    with tempfile.TemporaryDirectory() as tmp:
        net, mu, sd = train(synthetic(den, a.train, 7000, Path(tmp) / "train"), np.random.default_rng(0))
        report("held-out synthetic pages (seed 3000)", synthetic(den, a.n, 3000, Path(tmp) / "eval"), net, mu, sd)
    if DIBCO.is_dir():
        names = sorted(q.name for q in (DIBCO / "noisy").iterdir())
        pages = []
        for name in names:
            noisy = read_gray(DIBCO / "noisy" / name)
            pages.append((den.clean(noisy), noisy, read_gray(DIBCO / "clean" / name) < 0.5))
        report("dibco-extra (validation only)", pages, net, mu, sd)


if __name__ == "__main__":
    main()
