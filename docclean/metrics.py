"""Image quality metrics on pages with intensities in 0..1: RMSE (the Kaggle "Denoising Dirty
Documents" metric), PSNR and SSIM; and, on ink masks, the binarization scores (F-measure, PSNR,
precision, recall, as DIBCO reports them) and whole strokes lost."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return a, b


def rmse(pred: np.ndarray, target: np.ndarray) -> float:
    """Root mean squared error over all pixels."""
    a, b = _pair(pred, target)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def pooled_rmse(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """RMSE over all pixels of several pages together (larger pages weigh more), as Kaggle scored.
    ``pairs`` is read once, so a generator scores pages one at a time."""
    se, n = 0.0, 0
    for p, t in pairs:
        se += float(np.sum((np.asarray(p, np.float64) - np.asarray(t, np.float64)) ** 2))
        n += np.asarray(t).size
    return float(np.sqrt(se / max(n, 1)))


#: PSNR of identical pages, in dB: the ceiling of :func:`psnr` (a mean squared error of 1e-10), as
#: :func:`binary_scores` caps its own.
MAX_PSNR = 100.0


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for a peak of 1.0, at most :data:`MAX_PSNR` (identical
    pages, or an MSE below 1e-10): an infinite score would make every mean over pages infinite and
    is no number in strict JSON."""
    a, b = _pair(pred, target)
    mse = max(float(np.mean((a - b) ** 2)), 10 ** (-MAX_PSNR / 10))
    return float(10 * np.log10(1.0 / mse))


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean structural similarity (Gaussian window, sigma 1.5, as Wang et al. 2004)."""
    a, b = _pair(pred, target)
    c1, c2 = 0.01**2, 0.03**2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def binary_scores(pred_ink: np.ndarray, gt_ink: np.ndarray) -> tuple[float, float, float, float]:
    """(F-measure in %, PSNR in dB, precision, recall) of a predicted ink mask against the ground
    truth's, both boolean (True = ink); PSNR counts every pixel that differs as an error of 1."""
    pred_ink, gt_ink = np.asarray(pred_ink, bool), np.asarray(gt_ink, bool)
    if pred_ink.shape != gt_ink.shape:
        raise ValueError(f"shapes differ: {pred_ink.shape} vs {gt_ink.shape}")
    tp = float(np.count_nonzero(pred_ink & gt_ink))
    precision = tp / max(float(np.count_nonzero(pred_ink)), 1.0)
    recall = tp / max(float(np.count_nonzero(gt_ink)), 1.0)
    f = 0.0 if tp == 0 else 2 * precision * recall / (precision + recall)
    mse = max(float(np.count_nonzero(pred_ink != gt_ink)) / gt_ink.size, 1e-10)
    return 100 * f, 10 * float(np.log10(1.0 / mse)), precision, recall


#: Ground-truth ink regions smaller than this (pixels) are specks, not strokes.
MIN_STROKE = 10


def strokes_lost(pred_ink: np.ndarray, gt_ink: np.ndarray) -> tuple[int, int]:
    """(strokes lost, strokes) of a page, from boolean ink masks: the ground truth's strokes are its
    8-connected ink regions of at least :data:`MIN_STROKE` pixels, and one is lost when less than
    half of it lies within one pixel of the predicted ink (a letter or line gone, not one drawn
    thinner)."""
    gt_ink, pred_ink = np.asarray(gt_ink, bool), np.asarray(pred_ink, bool)
    if gt_ink.shape != pred_ink.shape:
        raise ValueError(f"shapes differ: {pred_ink.shape} vs {gt_ink.shape}")
    count, labels, stats, _ = cv2.connectedComponentsWithStats(gt_ink.astype(np.uint8), connectivity=8)
    near = cv2.dilate(pred_ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    hit = np.bincount(labels[gt_ink], weights=near[gt_ink], minlength=count)
    sizes = stats[:, cv2.CC_STAT_AREA]
    strokes = (np.arange(count) > 0) & (sizes >= MIN_STROKE)
    lost = strokes & (hit < 0.5 * sizes)
    return int(lost.sum()), int(strokes.sum())


def strokes_lost_share(counts: list[tuple[int, int]] | np.ndarray) -> tuple[float, float]:
    """From per-page ``(strokes lost, strokes)`` counts (:func:`strokes_lost`): the share of all
    strokes lost, over every page together, and the share lost on the worst page (0..1 each)."""
    c = np.asarray(counts, dtype=np.float64).reshape(-1, 2)
    if c.size == 0:
        return 0.0, 0.0
    return float(c[:, 0].sum() / max(c[:, 1].sum(), 1.0)), float((c[:, 0] / np.maximum(c[:, 1], 1.0)).max())
