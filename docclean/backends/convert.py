"""Convert a checkpoint to ONNX once, cache it, and find it again without loading torch.

The ONNX Runtime and OpenVINO backends both run the same ONNX file. It is exported from whatever
``nn.Module`` the checkpoint builds (``docclean.checkpoint.load_model``), with dynamic batch,
height and width, on the first use of a checkpoint, and cached in :func:`cache_dir`
(``$DOCCLEAN_CACHE`` or ``~/.cache/docclean/backends``) under a key made of the weights' sha256,
the exporter (torch version, opset) and :data:`EXPORT_VERSION`; a changed checkpoint gets a new
key, so a stale file is never used. Files appear whole or not at all (``docclean.atomic``), so
two processes converting at once both end up with a valid file; a cached file damaged later (a
disk error, a copy cut short), which the runtime cannot load, is converted again
(:func:`open_converted`). A cache hit needs no torch: the
checkpoint's metadata is read straight from the safetensors header.

The exported graph is only ever fed tiles whose height and width are multiples of the network's
``multiple`` (the backends pad by edge replication, exactly as the network's own padding does), so
a network that pads internally exports one graph valid for every tile shape. After export the
ONNX graph is checked against torch on two tile shapes; a graph that disagrees is not cached.
"""

from __future__ import annotations

import errno
import json
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from docclean.atomic import atomic_path
from docclean.errors import DocCleanError, ModelError
from docclean.fileid import file_version
from docclean.models import check_not_trainer_state, weights_digest

#: Bump when the export itself changes (names, opset, checks), so old cache entries are not used.
EXPORT_VERSION = 1
OPSET = 17
#: Largest difference from torch accepted when checking a fresh export on random tiles.
EXPORT_TOLERANCE = 1e-4
_METADATA_KEY = "docclean"


def cache_dir() -> Path:
    """Where converted models live: ``$DOCCLEAN_CACHE`` or ``~/.cache/docclean/backends``."""
    env = os.environ.get("DOCCLEAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "docclean" / "backends"


def read_checkpoint_metadata(path: Path) -> dict[str, Any]:
    """The docclean JSON metadata of a safetensors checkpoint, read from its header (no torch)."""
    try:
        with open(path, "rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100_000_000:
                raise ValueError("header too large")
            header = json.loads(fh.read(size))
        meta = json.loads(header["__metadata__"][_METADATA_KEY])
    except FileNotFoundError:
        raise ModelError("model file not found", path) from None
    except (OSError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise ModelError(f"not a readable docclean safetensors model ({type(exc).__name__}: {exc})", path) from None
    check_not_trainer_state(meta, path)
    return meta


def _torch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "none"


def cache_key(model_path: Path) -> str:
    """File stem of a checkpoint's converted model: weights hash + exporter + export version."""
    torch_v = _torch_version().split("+")[0]
    return f"{weights_digest(model_path)[:24]}-torch{torch_v}-opset{OPSET}-v{EXPORT_VERSION}"


_EXPORT_LOCK = threading.Lock()
T = TypeVar("T")


def onnx_model(model_path: Path) -> tuple[Path, dict[str, Any]]:
    """The cached ONNX file of ``model_path`` (exported now if missing) and its info
    (``multiple``, ``sha256``, the checkpoint metadata). Raises ModelError if it cannot export."""
    model_path = Path(model_path)
    # One conversion at a time in a process: torch.onnx.export keeps process-wide state, and two
    # threads converting at once (the desktop app's preview and its export) both failed.
    with _EXPORT_LOCK:
        onnx_path, info, _ = _cached_or_exported(model_path)
    return onnx_path, info


def open_converted(model_path: Path, start: Callable[[Path, dict[str, Any]], T]) -> T:
    """``start(onnx_path, info)``: a runtime started on the cached ONNX file of ``model_path``
    (:func:`onnx_model`). A cached file the runtime cannot load (cut short or garbled on disk:
    the JSON beside it only says the export finished) is converted again, once, and the runtime
    started on the new one; had it been used as it was, every run would fail to load it and fall
    back to torch, for good. ModelError naming the ONNX file when the runtime cannot load a fresh
    conversion either. ImportError (the runtime is not installed) passes through."""
    model_path = Path(model_path)
    with _EXPORT_LOCK:
        onnx_path, info, exported = _cached_or_exported(model_path)
    try:
        return start(onnx_path, info)
    except (ImportError, DocCleanError):
        raise
    except Exception as exc:  # runtimes report a file they cannot parse in types of their own
        if exported:
            raise _unloadable(onnx_path, exc, model_path) from None
        tried = file_version(onnx_path)
    with _EXPORT_LOCK:
        # Another thread may have converted it again meanwhile: that file is used as it is.
        onnx_path, info, _ = _cached_or_exported(model_path, rebuild=file_version(onnx_path) == tried)
    try:
        return start(onnx_path, info)
    except (ImportError, DocCleanError):
        raise
    except Exception as exc:
        raise _unloadable(onnx_path, exc, model_path) from None


def _unloadable(onnx_path: Path, exc: Exception, model_path: Path) -> ModelError:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return ModelError(f"the runtime cannot load its conversion {onnx_path} ({type(exc).__name__}: {text})",
                      model_path)


def _cached_or_exported(model_path: Path, rebuild: bool = False) -> tuple[Path, dict[str, Any], bool]:
    """(ONNX file, info, whether it was exported now); ``rebuild`` exports it even when cached.
    A cache that cannot be written (a read-only home in a container) is still read; a model not in
    it is converted into this process's own temporary folder (:func:`writable_cache_dir`)."""
    key = cache_key(model_path)
    folders = [cache_dir()] + ([_FALLBACK[0]] if _FALLBACK else [])
    for folder in folders if not rebuild else ():
        onnx_path, info_path = folder / f"{key}.onnx", folder / f"{key}.json"
        if onnx_path.is_file() and info_path.is_file():
            try:
                info = json.loads(info_path.read_text())
                if isinstance(info, dict) and "multiple" in info:
                    return onnx_path, info, False
            except (OSError, ValueError):
                pass  # a damaged entry is rebuilt below
    folder = writable_cache_dir()
    onnx_path, info_path = folder / f"{key}.onnx", folder / f"{key}.json"
    info = export_onnx(model_path, onnx_path)
    with atomic_path(info_path) as tmp:
        tmp.write_text(json.dumps(info))
    return onnx_path, info, True


_FALLBACK: list[Path] = []
"""The temporary folder conversions go to in this process when the cache cannot be written."""


def writable_cache_dir() -> Path:
    """:func:`cache_dir` (made if missing) where it can be written; else, said once with a
    RuntimeWarning, a temporary folder of this process, removed when it exits: the model is
    converted at every start then, but runs on the fast runtime all the same."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "not writable")
    except OSError as exc:
        if not _FALLBACK:
            import atexit
            import shutil
            import tempfile
            import warnings

            _FALLBACK.append(Path(tempfile.mkdtemp(prefix="docclean-models-")))
            atexit.register(shutil.rmtree, _FALLBACK[0], True)
            warnings.warn(f"cannot write the model cache {folder} ({exc.strerror or exc}): the model is converted "
                          "for this run only; set DOCCLEAN_CACHE to a writable folder", RuntimeWarning, stacklevel=2)
        return _FALLBACK[0]
    return folder


def export_onnx(model_path: Path, onnx_path: Path) -> dict[str, Any]:
    """Export the checkpoint's network to ``onnx_path`` (atomically) with dynamic N, H, W and
    check it against torch; returns the info stored beside it."""
    import warnings

    import torch

    from docclean.checkpoint import load_model

    net, meta = load_model(model_path)
    net = net.eval().float()
    multiple = int(getattr(net, "multiple", lambda: 1)())
    side = multiple * -(-32 // multiple)  # at least 32 pixels, a multiple of ``multiple``
    example = torch.rand(1, 1, 2 * side, 3 * side, generator=torch.Generator().manual_seed(0))
    dynamic = {0: "n", 2: "h", 3: "w"}
    try:
        import onnx  # noqa: F401 - torch.onnx.export needs it; said here with the extra to install
    except ImportError:
        raise ModelError("cannot convert the model to ONNX: the onnx package is not installed "
                         "(pip install 'docclean[fast]')", model_path) from None
    with atomic_path(onnx_path, suffix=".onnx") as tmp:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter, not the user's concern
            try:
                torch.onnx.export(net, (example,), str(tmp), input_names=["tiles"], output_names=["clean"],
                                  dynamic_axes={"tiles": dynamic, "clean": dynamic}, opset_version=OPSET,
                                  dynamo=False)
            except Exception as exc:  # exporter failures come in many types
                raise ModelError(f"cannot convert the model to ONNX ({type(exc).__name__}: {exc})",
                                 model_path) from None
        _check_export(net, tmp, multiple, model_path)
    return {"multiple": multiple, "sha256": weights_digest(model_path), "torch": _torch_version(),
            "opset": OPSET, "export_version": EXPORT_VERSION, "metadata": meta}


def _check_export(net: Any, onnx_file: Path, multiple: int, model_path: Path) -> None:
    """Run the fresh ONNX graph on two other tile shapes and compare with torch (ModelError if
    they disagree: a graph that traced a shape-dependent branch as a constant)."""
    import torch

    run = _reference_runner(onnx_file)
    rng = np.random.default_rng(0)
    for n, h, w in ((2, 3 * multiple, 2 * multiple), (1, 5 * multiple, 4 * multiple)):
        x = rng.random((n, 1, h, w), dtype=np.float32)
        with torch.inference_mode():
            ref = net(torch.from_numpy(x)).numpy()
        got = run(x)
        if got.shape != ref.shape or not np.allclose(got, ref, atol=EXPORT_TOLERANCE, rtol=0):
            raise ModelError(f"the ONNX export disagrees with torch on {h}x{w} tiles; not cached", model_path)


def _reference_runner(onnx_file: Path) -> Any:
    """A function running the ONNX file in fp32 on whichever runtime is installed."""
    try:
        import onnxruntime as ort

        session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {"tiles": x})[0]
    except ImportError:
        from docclean.backends.openvino_backend import import_openvino

        compiled = import_openvino().Core().compile_model(str(onnx_file), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        return lambda x: np.asarray(compiled(x)[0])


def pad_to_multiple(tiles: np.ndarray, multiple: int) -> np.ndarray:
    """Edge-pad ``(N, H, W)`` tiles at the bottom and right to a multiple of ``multiple``
    (the same replicate padding the network applies itself)."""
    ph, pw = -tiles.shape[1] % multiple, -tiles.shape[2] % multiple
    if ph or pw:
        tiles = np.pad(tiles, ((0, 0), (0, ph), (0, pw)), mode="edge")
    return tiles
