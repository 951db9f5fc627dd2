"""The random generators' state at the point where a run stopped part way through an epoch, kept in
its trainer state so that a resume draws exactly the random numbers the uninterrupted run would have.

Replaying the stopped epoch's data (``training.loop``) repeats the draws the data makes, but not
those the model and loss make between batches (a VAE's latent noise, dropout): the resumed run
would go on from another point of the random sequence. Restoring the state captured at the stop,
once the batches trained before it are replayed, puts every generator back where it stood: torch's
CPU generator, the device's own (CUDA, MPS), NumPy's global one and Python's ``random``. The state
is plain JSON (the torch states as base64), so it travels in the trainer state's metadata.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import numpy as np
import torch


def _encode(state: torch.Tensor) -> str:
    return base64.b64encode(state.cpu().numpy().tobytes()).decode("ascii")


def _decode(text: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8)


def capture_rng(device: torch.device) -> dict[str, Any]:
    """The state of every generator a training step may draw from, as JSON: torch's CPU one, the
    one of ``device`` (a GPU draws its own noise: ``randn_like`` on CUDA), NumPy's and Python's."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    version, words, gauss = random.getstate()
    state: dict[str, Any] = {"torch": _encode(torch.get_rng_state()),
                             "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
                             "python": [version, list(words), gauss]}
    if device.type == "cuda":
        state["cuda"] = _encode(torch.cuda.get_rng_state(device))
    elif device.type == "mps":
        state["mps"] = _encode(torch.mps.get_rng_state())
    return state


def restore_rng(state: dict[str, Any], device: torch.device) -> None:
    """Set every generator :func:`capture_rng` saved back to its saved state; a device generator
    saved for another kind of device than ``device`` (a run resumed elsewhere) is left alone: that
    run cannot repeat the other device's draws anyway."""
    torch.set_rng_state(_decode(state["torch"]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, words, gauss = state["python"]
    random.setstate((version, tuple(words), gauss))
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(_decode(state["cuda"]), device)
    elif device.type == "mps" and "mps" in state:
        torch.mps.set_rng_state(_decode(state["mps"]))
