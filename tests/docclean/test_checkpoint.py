"""Tests for docclean.checkpoint: round trip, self-describing metadata, clear errors."""

import json

import pytest
import torch
from safetensors.torch import save_file

from docclean.checkpoint import load_model, read_metadata, save_model
from docclean.errors import ModelError
from docclean.model import DocUNet, DocUNetConfig


def test_round_trip_rebuilds_same_network(tmp_path):
    torch.manual_seed(3)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    torch.nn.init.normal_(model.head.weight)  # make the output depend on every weight
    path = save_model(model, tmp_path / "m.safetensors", "docunet", model.config.to_dict(), {"metrics": {"val_rmse": 0.1}})
    loaded, meta = load_model(path)
    assert meta["arch"] == "docunet" and meta["metrics"]["val_rmse"] == 0.1
    x = torch.rand(1, 1, 24, 20)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ModelError, match="nothere.safetensors: model file not found"):
        read_metadata(tmp_path / "nothere.safetensors")


def test_not_safetensors(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04pickle? no thanks")
    with pytest.raises(ModelError, match="bad.safetensors"):
        load_model(bad)


def test_no_metadata_and_wrong_shapes(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(ModelError, match="no docclean metadata"):
        load_model(plain)
    wrong = tmp_path / "wrong.safetensors"
    meta = {"arch": "docunet", "config": {"unshuffle": 2, "widths": [4, 8], "blocks": [1, 1]}}
    save_file({"w": torch.zeros(2)}, str(wrong), metadata={"docclean": json.dumps(meta)})
    with pytest.raises(ModelError, match="weights do not fit"):
        load_model(wrong)


# --- hostile or broken model files: no traceback, no allocation before checking -----------------

def _tiny(tmp_path, name="tiny.safetensors", **config):
    from docclean.model import DocUNet, DocUNetConfig

    cfg = DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])
    return save_model(DocUNet(cfg), tmp_path / name, "docunet", {**cfg.to_dict(), **config})


def test_a_pickle_is_named_as_one(tmp_path):
    import pickle

    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelError, match=r"this is not a safetensors file \(it looks like a pickle\); "
                                         "docclean never loads pickles"):
        load_model(path)
    zipped = tmp_path / "torch.pt"
    torch.save({"w": torch.zeros(2)}, zipped)
    with pytest.raises(ModelError, match="looks like a pickle"):
        load_model(zipped)


def test_a_huge_sparse_file_is_refused_before_it_is_mapped(tmp_path):
    path = _tiny(tmp_path)
    with open(path, "r+b") as fh:
        fh.truncate(100 * 2**30)  # 100 GiB, sparse
    with pytest.raises(ModelError, match="100.0 GiB"):
        read_metadata(path)


@pytest.mark.parametrize("widths", [[100000] * 4, [1500] * 4])
def test_huge_declared_widths_are_refused_without_allocating(tmp_path, widths):
    import resource

    path = tmp_path / "wide.safetensors"
    meta = {"arch": "docunet", "config": {"unshuffle": 2, "widths": widths, "blocks": [1, 2, 2, 2]}}
    save_file({"stem.0.weight": torch.zeros(2)}, str(path), metadata={"docclean": json.dumps(meta)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelError, match="field 'config' declares .* parameters"):
        load_model(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: far below 1.9 GB


def _edit_first_tensor(path, change):  # type: ignore[no-untyped-def]
    """Rewrite a safetensors file's header with ``change(entry)`` applied to its first tensor's entry;
    returns the tensor's name and the size of the data section."""
    data = bytearray(path.read_bytes())
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    name = next(k for k in header if k != "__metadata__")
    change(header[name])
    raw = json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + bytes(data[8 + length:]))
    return name, len(data) - 8 - length


def test_tensor_outside_the_file_and_wrong_sizes_are_named(tmp_path):
    path = _tiny(tmp_path)
    name, _ = _edit_first_tensor(path, lambda entry: entry["data_offsets"].__setitem__(
        1, entry["data_offsets"][1] + 10**9))
    with pytest.raises(ModelError, match=f"tensor '{name}': data offsets"):
        load_model(path)


def test_nan_weights_are_refused_naming_the_tensor(tmp_path):
    from docclean.model import DocUNet, DocUNetConfig

    cfg = DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])
    model = DocUNet(cfg)
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    path = save_model(model, tmp_path / "nan.safetensors", "docunet", cfg.to_dict())
    with pytest.raises(ModelError, match="tensor 'head.bias' holds NaN or infinite values"):
        load_model(path)


def test_a_tensor_whose_shape_does_not_fit_its_bytes_is_named(tmp_path):
    # Offsets stay inside the file; only the declared shape no longer matches the byte count.
    path = _tiny(tmp_path)
    seen = {}

    def doubled(entry):  # type: ignore[no-untyped-def]
        seen["range"] = entry["data_offsets"]
        entry["shape"] = entry["shape"] + [2]  # twice the bytes the file gives it

    name, data_size = _edit_first_tensor(path, doubled)
    start, end = seen["range"]
    assert 0 <= start <= end <= data_size  # the range itself lies inside the file
    with pytest.raises(ModelError, match=rf"tensor '{name}': shape .* needs {2 * (end - start)} bytes but the file "
                                         rf"gives it {end - start}"):
        load_model(path)


def test_a_checkpoint_gets_the_permissions_of_any_other_output(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        path = save_model(torch.nn.Linear(2, 1), tmp_path / "m.safetensors", "line", {})
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # safetensors alone leaves 0600
