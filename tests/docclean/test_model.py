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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace's own
def test_tracing_for_an_export_raises_no_tracer_warning():
    """The export runs in a model-loading thread beside a batch whose warnings are shown: a tracer
    warning there would reach the user."""
    import warnings

    net = DocUNet(DocUNetConfig(widths=[4, 8], blocks=[1, 1], background=True)).eval()
    m = net.multiple()
    with warnings.catch_warnings():
        warnings.simplefilter("error", torch.jit.TracerWarning)
        traced = torch.jit.trace(net, torch.rand(1, 1, 2 * m, 3 * m))
    x = torch.rand(1, 1, 4 * m, 2 * m)
    assert torch.allclose(traced(x), net(x), atol=1e-6)  # the trace still follows the input's size
