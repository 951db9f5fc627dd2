"""Tests for docclean.model: any page size, residual start, config round trip."""

import pytest
import torch

from docclean.model import DocUNet, DocUNetConfig, build_model


@pytest.mark.parametrize("h,w", [(16, 16), (17, 31), (40, 9), (5, 64)])
def test_any_size_keeps_shape(h, w):
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8, 8], blocks=[1, 0, 1])).eval()
    x = torch.rand(2, 1, h, w)
    with torch.no_grad():
        assert model(x).shape == (2, 1, h, w)


def test_untrained_model_is_identity():
    # The head starts at zero, so a fresh network returns its input: training starts from "no change".
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])).eval()
    x = torch.rand(1, 1, 20, 24)
    with torch.no_grad():
        assert torch.equal(model(x), x)


def test_multiple_and_unshuffle():
    assert DocUNet(DocUNetConfig(unshuffle=4, widths=[4, 8, 8], blocks=[1, 1, 1])).multiple() == 16


def test_build_model_by_name_and_errors():
    model = build_model("docunet", {"unshuffle": 2, "widths": [4, 8], "blocks": [1, 1]})
    assert isinstance(model, DocUNet)
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("nope")
    with pytest.raises(ValueError, match="same length"):
        DocUNet(DocUNetConfig(widths=[4, 8], blocks=[1]))
