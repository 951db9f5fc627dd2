"""The CPU runtimes behind the backend seam: each matches torch on a tiny model, the converted
model is cached and reused, rebuilt when the weights change, and ``auto`` falls back to torch."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from docclean.backends import convert, installed_backends, open_backend
from docclean.backends.torch_backend import TorchBackend
from docclean.checkpoint import load_model, save_model
from docclean.engine import Denoiser
from docclean.errors import ModelError, UsageError
from docclean.model import DocUNet, DocUNetConfig
from docclean.settings import CleanSettings
from tests.concurrency import run_together

RUNTIMES = [pytest.param(name, marks=pytest.mark.skipif(name not in installed_backends(),
                                                        reason=f"{name} not installed"))
            for name in ("onnx", "openvino")]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DOCCLEAN_CACHE", str(folder))
    return folder


def _random_model(path: Path, seed: int, **config: object) -> Path:
    """A tiny DocUNet with every weight random (the real head starts at zero, an identity)."""
    torch.manual_seed(seed)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1], **config))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return save_model(model, path, "docunet", model.config.to_dict(), {"note": "test"})


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return _random_model(tmp_path / "tiny.safetensors", 0)


def _torch_out(path: Path, tiles: np.ndarray) -> np.ndarray:
    net, meta = load_model(path)
    return TorchBackend(net, meta, device="cpu", precision="fp32").run(tiles)


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_matches_torch_on_odd_tile_shapes(model_path: Path, name: str) -> None:
    # fp32 asked for: on a CPU with native bf16, auto runs OpenVINO in bf16, which is not exact.
    backend = open_backend(model_path, CleanSettings(backend=name, threads=1, precision="fp32"))
    assert backend.name == name and backend.device == "cpu" and backend.multiple == 4
    assert backend.metadata["note"] == "test"
    rng = np.random.default_rng(0)
    for shape in [(2, 37, 29), (1, 16, 24), (3, 9, 50)]:  # not multiples of 4, and multiples
        tiles = rng.random(shape, dtype=np.float32)
        got, ref = backend.run(tiles), _torch_out(model_path, tiles)
        assert got.shape == shape and got.dtype == np.float32
        assert 0 <= got.min() and got.max() <= 1
        assert np.abs(ref - tiles).max() > 0.05  # the model really does something
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_exports_a_model_with_background_normalisation(tmp_path: Path, name: str) -> None:
    path = _random_model(tmp_path / "bg.safetensors", 2, background=True, background_cell=8)
    backend = open_backend(path, CleanSettings(backend=name, threads=1, precision="fp32"))
    assert backend.multiple == 8
    tiles = np.random.default_rng(2).random((2, 45, 70), dtype=np.float32)
    # dividing by the estimated background amplifies float rounding a little: 1e-4 is 0.03/255
    np.testing.assert_allclose(backend.run(tiles), _torch_out(path, tiles), atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_through_the_engine_equals_torch(model_path: Path, name: str, text_page: np.ndarray) -> None:
    ours = Denoiser.load(model_path, backend=name, precision="fp32", tile_size=64, overlap=8).clean(text_page)
    ref = Denoiser.load(model_path, backend="torch", precision="fp32", tile_size=64, overlap=8).clean(text_page)
    assert np.abs(ours - ref).max() < 1e-5


def _only_onnx_export_count(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = convert.export_onnx

    def counting(model: Path, target: Path) -> dict:
        calls.append(model)
        return real(model, target)

    monkeypatch.setattr(convert, "export_onnx", counting)
    return calls


@pytest.mark.skipif(len(installed_backends()) < 2, reason="no ONNX runtime installed")
def test_conversion_is_cached_reused_and_rebuilt_when_weights_change(
        model_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = installed_backends()[0]
    calls = _only_onnx_export_count(monkeypatch)
    tiles = np.random.default_rng(1).random((1, 20, 20), dtype=np.float32)
    first = open_backend(model_path, CleanSettings(backend=name, precision="fp32")).run(tiles)
    files = sorted(private_cache.glob("*.onnx"))
    assert len(calls) == 1 and len(files) == 1
    assert not list(private_cache.glob(".*"))  # no temporary file left behind
    stamp = files[0].stat().st_mtime_ns
    again = open_backend(model_path, CleanSettings(backend=name, precision="fp32")).run(tiles)
    assert len(calls) == 1 and files[0].stat().st_mtime_ns == stamp  # reused, not converted again
    np.testing.assert_array_equal(first, again)
    _random_model(model_path, 1)  # new weights, same file name
    changed = open_backend(model_path, CleanSettings(backend=name, precision="fp32")).run(tiles)
    assert len(calls) == 2 and len(list(private_cache.glob("*.onnx"))) == 2
    np.testing.assert_allclose(changed, _torch_out(model_path, tiles), atol=1e-5, rtol=0)
    assert np.abs(changed - first).max() > 1e-3


@pytest.mark.skipif(len(installed_backends()) < 2, reason="no ONNX runtime installed")
def test_a_cache_that_cannot_be_written_is_read_and_else_the_model_is_converted_for_the_run(
        model_path: Path, private_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A read-only home in a container: the runtime failed on the cache folder and auto fell back
    # to torch, at half the speed, in a warning about a runtime that "could not load" the model.
    name = installed_backends()[0]
    monkeypatch.setattr(convert, "_FALLBACK", [])
    calls = _only_onnx_export_count(monkeypatch)
    tiles = np.random.default_rng(1).random((1, 20, 20), dtype=np.float32)
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DOCCLEAN_CACHE", str(blocked / "cache"))
    with pytest.warns(RuntimeWarning, match=f"cannot write the model cache {blocked / 'cache'} .*DOCCLEAN_CACHE"):
        backend = open_backend(model_path, CleanSettings(backend="auto", precision="fp32"))
    assert backend.name == name and len(calls) == 1
    np.testing.assert_allclose(backend.run(tiles), _torch_out(model_path, tiles), atol=1e-5, rtol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once; this process's conversion is used again
        open_backend(model_path, CleanSettings(backend=name, precision="fp32"))
    assert len(calls) == 1 and blocked.read_text() == "not a folder"
    # A filled cache that cannot be written is read as it is: no conversion.
    monkeypatch.setattr(convert, "_FALLBACK", [])  # a new process
    monkeypatch.setenv("DOCCLEAN_CACHE", str(private_cache))
    open_backend(model_path, CleanSettings(backend=name, precision="fp32"))
    assert len(calls) == 2
    monkeypatch.setattr(convert, "_FALLBACK", [])
    monkeypatch.setattr(convert.os, "access", lambda *args, **kwargs: False)
    open_backend(model_path, CleanSettings(backend=name, precision="fp32"))
    assert len(calls) == 2


@pytest.mark.skipif(len(installed_backends()) < 2, reason="no ONNX runtime installed")
def test_a_cache_hit_loads_no_torch(model_path: Path, private_cache: Path, tmp_path: Path) -> None:
    import subprocess

    name = installed_backends()[0]
    open_backend(model_path, CleanSettings(backend=name))  # convert (this process has torch)
    code = ("import sys\nfrom docclean.backends import open_backend\nfrom docclean.settings import CleanSettings\n"
            f"b = open_backend(__import__('pathlib').Path({str(model_path)!r}), CleanSettings())\n"
            "print(b.name, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "DOCCLEAN_CACHE": str(private_cache)})
    assert out.stdout.split() == [name, "False"]


def test_auto_falls_back_to_torch_when_no_runtime_is_installed(model_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert installed_backends() == ["torch"]
    assert open_backend(model_path, CleanSettings()).name == "torch"
    with pytest.raises(UsageError, match="not installed.*pip install onnxruntime") as info:
        open_backend(model_path, CleanSettings(backend="onnx"))  # the hint installs what is missing
    assert info.value.settings == ("backend",)
    with pytest.raises(UsageError, match=r"pip install 'docclean\[fast\]'"):
        open_backend(model_path, CleanSettings(backend="openvino"))


def test_auto_order_and_devices() -> None:
    names = installed_backends()
    assert names[-1] == "torch" and len(set(names)) == len(names)
    assert installed_backends("cuda") == installed_backends("mps") == ["torch"]


def test_auto_uses_torch_for_half_precision(model_path: Path) -> None:
    assert open_backend(model_path, CleanSettings(precision="bf16")).name == "torch"


@pytest.mark.skipif(len(installed_backends()) < 2, reason="no ONNX runtime installed")
def test_auto_skips_a_runtime_that_cannot_convert(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: Path, target: Path) -> dict:
        raise ModelError("cannot convert the model to ONNX (test)", model)

    monkeypatch.setattr(convert, "export_onnx", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert open_backend(model_path, CleanSettings()).name == "torch"
    assert any("could not load" in str(w.message) for w in caught)


def test_broken_checkpoint_is_a_model_error_before_any_runtime(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        open_backend(bad, CleanSettings())


def test_a_truncated_checkpoint_is_one_model_error_not_a_runtime_fallback(model_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(model_path.read_bytes()[:-100])  # a download that stopped short: the header is whole
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "could not load ...; trying the next one"
        with pytest.raises(ModelError, match="lie outside the file"):
            open_backend(cut, CleanSettings())


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_a_teaching_suite_model_is_named_as_no_page_cleaner_once(tmp_path: Path, backend: str) -> None:
    vae = save_model(torch.nn.Linear(4, 2), tmp_path / "vae.safetensors", "vae-mlp", {"latent": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "could not load ...; trying the next one" before the error
        with pytest.raises(ModelError, match="a 'vae-mlp' network, not a page-cleaning model"):
            open_backend(vae, CleanSettings(backend=backend))


def test_the_page_architectures_are_the_engine_s() -> None:
    from docclean.backends import PAGE_ARCHITECTURES
    from docclean.model import ARCHITECTURES

    assert set(PAGE_ARCHITECTURES) == set(ARCHITECTURES)


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_refuses_gpu_and_half_precision(model_path: Path, name: str) -> None:
    with pytest.raises(UsageError):
        open_backend(model_path, CleanSettings(backend=name, device="cuda"))
    with pytest.raises(UsageError):
        open_backend(model_path, CleanSettings(backend=name, precision="fp16"))


def test_pad_to_multiple_replicates_the_edge() -> None:
    tiles = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    padded = convert.pad_to_multiple(tiles, 4)
    assert padded.shape == (2, 4, 8)
    np.testing.assert_array_equal(padded[:, :3, :5], tiles)
    np.testing.assert_array_equal(padded[:, 3, :5], tiles[:, 2])
    np.testing.assert_array_equal(padded[:, :3, 7], tiles[:, :, 4])


@pytest.mark.skipif("openvino" not in installed_backends(), reason="openvino not installed")
def test_openvino_is_imported_without_its_telemetry():
    # A fresh process: this one may have imported OpenVINO already. OpenVINO's converter must
    # bind its no-op stub, and no telemetry module or forked sender may be left behind.
    import subprocess

    code = ("import sys, multiprocessing\n"
            "from docclean.backends.openvino_backend import import_openvino\n"
            "import_openvino().Core()\n"
            "import openvino.tools.ovc.telemetry_utils as t\n"
            "print(t.tm.__name__, 'openvino_telemetry' in sys.modules, len(multiprocessing.active_children()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "False", "0"]


def test_two_threads_converting_one_model_at_once_both_get_it(model_path: Path, private_cache: Path) -> None:
    results, errors = run_together(lambda n: convert.onnx_model(model_path)[0], 2)
    assert not errors, errors
    assert results[0] == results[1] and isinstance(results[0], Path) and results[0].is_file()


def test_a_training_runs_state_file_is_named_as_such(tmp_path: Path) -> None:
    from docclean.checkpoint import atomic_save_tensors

    state = tmp_path / "state.safetensors"
    from docclean.models import TRAINER_STATE

    atomic_save_tensors({"empty": torch.zeros(1)}, state,
                        {"docclean": __import__("json").dumps({"arch": TRAINER_STATE, "trainer": {}})})
    with pytest.raises(ModelError, match="optimizer state, not a model: use best.safetensors"):
        convert.read_checkpoint_metadata(state)


def test_converting_without_the_onnx_package_names_the_extra(model_path: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    with pytest.raises(ModelError, match=r"the onnx package is not installed \(pip install 'docclean\[fast\]'\)"):
        convert.export_onnx(model_path, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()



@pytest.mark.parametrize("name", RUNTIMES)
def test_a_damaged_cached_conversion_is_converted_again_once_and_used(
        model_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    calls = _only_onnx_export_count(monkeypatch)
    settings = CleanSettings(backend=name, threads=1, precision="fp32")
    open_backend(model_path, settings)
    (cached,) = private_cache.glob("*.onnx")
    cached.write_bytes(cached.read_bytes()[:2000])  # cut short on disk; the JSON beside it is whole
    for compiled in private_cache.glob("openvino-*"):  # OpenVINO's own cache of the compiled network
        __import__("shutil").rmtree(compiled)
    tiles = np.random.default_rng(4).random((1, 20, 24), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = open_backend(model_path, settings)
    assert again.name == name and len(calls) == 2
    np.testing.assert_allclose(again.run(tiles), _torch_out(model_path, tiles), atol=1e-5, rtol=0)
    open_backend(model_path, settings)
    assert len(calls) == 2  # the new file is whole: used as cached from now on


def test_a_conversion_the_runtime_cannot_load_is_a_model_error_naming_it(
        model_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _only_onnx_export_count(monkeypatch)

    def unloadable(onnx_path: Path, info: dict) -> None:
        raise RuntimeError("Model can't be parsed")

    with pytest.raises(ModelError, match=r"cannot load its conversion .*\.onnx .*can't be parsed"):
        convert.open_converted(model_path, unloadable)  # a fresh conversion: not converted again
    assert len(calls) == 1
    with pytest.raises(ModelError, match=r"\.onnx"):
        convert.open_converted(model_path, unloadable)  # a cached one: converted again, once
    assert len(calls) == 2
