"""The contractive autoencoder: the exact Jacobian penalty, its loss, and the code-sensitivity probe."""

from __future__ import annotations

import pytest
import torch

from training.suite.fashion import FashionTaskConfig, make_loss_fn
from training.suite.fashion_eval import code_sensitivity
from training.suite.fashion_models import ContractiveAEConfig, ContractiveAutoencoder, build_fashion_model


def tiny(seed: int = 0) -> ContractiveAutoencoder:
    torch.manual_seed(seed)
    return ContractiveAutoencoder(ContractiveAEConfig(image_size=3, code=4)).double()


def test_exact_penalty_equals_finite_differences() -> None:
    model = tiny()
    x = torch.rand(3, 1, 3, 3, dtype=torch.float64)
    with torch.no_grad():
        exact = model.jacobian_penalty(model.encode(x))
    eps = 1e-6
    for n in range(len(x)):
        columns = []
        for i in range(9):  # central difference along each of the 9 input pixels
            step = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
            step.view(-1)[i] = eps
            with torch.no_grad():
                columns.append((model.encode(x[n:n + 1] + step) - model.encode(x[n:n + 1] - step))[0] / (2 * eps))
        jacobian = torch.stack(columns, dim=1)  # (code, pixels)
        assert float(exact[n]) == pytest.approx(float(jacobian.square().sum()), rel=1e-6)


def test_penalty_is_part_of_the_loss_and_falls() -> None:
    torch.manual_seed(0)
    images = torch.rand(16, 1, 28, 28)
    task = FashionTaskConfig(arch="contractive", contractive_weight=1.0).resolved()
    model = build_fashion_model("contractive")
    loss_fn = make_loss_fn(task)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        loss, parts = loss_fn(model, (images, images))
        first = first if first is not None else (float(loss.detach()), parts["jacobian"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < first[0] and parts["jacobian"] < first[1]
    assert float(loss.detach()) == pytest.approx(parts["bce"] + parts["jacobian"], rel=1e-4)


def test_contractive_weight_needs_the_contractive_arch() -> None:
    assert FashionTaskConfig(arch="contractive").resolved().contractive_weight > 0
    assert FashionTaskConfig(arch="dense").resolved().contractive_weight == 0
    with pytest.raises(ValueError, match="contractive"):
        FashionTaskConfig(arch="conv", contractive_weight=0.5).resolved()


def test_code_sensitivity_measures_the_jacobian() -> None:
    model = build_fashion_model("contractive").eval()
    images = torch.rand(50, 1, 28, 28) * 0.5 + 0.25
    moving = code_sensitivity(model, images)
    with torch.no_grad():
        model.encoder[1].weight.mul_(0.01)  # a flatter encoder: the code barely follows the input
    still = code_sensitivity(model, images)
    assert moving["code_change_per_input_change"] > 10 * still["code_change_per_input_change"] > 0
    # For small noise, |J delta| / |delta| is about |J|_F / sqrt(pixels) on average.
    with torch.no_grad():
        expected = model.jacobian_penalty(model.encode(images)).sqrt().mean() / 28
    assert still["code_change_per_input_change"] == pytest.approx(float(expected), rel=0.1)
