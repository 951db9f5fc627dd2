"""The noise options of the faces and Fashion-MNIST tasks: one check, each task's kinds and bounds."""

import pytest

from training.suite.faces import FacesTaskConfig
from training.suite.fashion import FashionTaskConfig
from training.suite.noise import resolve_noise_level


def test_levels_default_per_kind_and_stay_none_without_noise() -> None:
    assert resolve_noise_level(None, None, {"gaussian": 0.2, "mask": 0.25}, "mask") is None
    assert FacesTaskConfig(noise="mask").resolved().noise_level == 0.25
    assert FashionTaskConfig(noise="gaussian").resolved().noise_level == 0.5
    assert FashionTaskConfig(noise="gaussian", noise_level=3.0).resolved().noise_level == 3.0


@pytest.mark.parametrize(("config", "message"), [
    (FacesTaskConfig(noise="blur"), "unknown noise 'blur'; choose gaussian or mask"),
    (FashionTaskConfig(noise="blur"), "unknown noise 'blur'; choose gaussian or salt-pepper"),
    (FacesTaskConfig(noise_level=0.3), r"a noise level \(0.3\) needs a kind of noise: give --noise too"),
    (FashionTaskConfig(noise_level=0.3), r"a noise level \(0.3\) needs a kind of noise: give --noise too"),
    (FacesTaskConfig(noise="mask", noise_level=1.5),
     r"noise level 1.5 is out of range \(mask: 0..1, gaussian: 0..10\)"),
    (FashionTaskConfig(noise="gaussian", noise_level=11.0),
     r"noise level 11.0 is out of range \(salt-pepper: 0..1, gaussian: 0..10\)"),
])
def test_bad_noise_options_are_refused_with_the_tasks_words(config, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.resolved()
