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
