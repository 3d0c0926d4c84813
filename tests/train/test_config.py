"""TrainConfig: validation naming the option, resolved defaults, differences for --resume."""
import pytest

from xpnet.train.config import TrainConfig


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(model="rnn"), "model must be one of"), (dict(data=""), "data must be"),
    (dict(optimizer="lbfgs"), "optimizer must be one of"), (dict(lr=-1.0), "lr must be"),
    (dict(lr=float("inf")), "lr must be"), (dict(optimizer="adam", momentum=0.9), "momentum applies"),
    (dict(optimizer="momentum", momentum=1.0), "momentum must be"),
    (dict(weight_decay=-0.1), "weight_decay must be"), (dict(dropout=1.0), "dropout must be"),
    (dict(batch_size=0), "batch_size must be"), (dict(batch_size=True), "batch_size must be"),
    (dict(batch_size="all"), "batch_size must be"), (dict(scale="robust"), "scale must be"),
    (dict(init="orthogonal"), "init must be"), (dict(activation="gelu"), "activation must be"),
    (dict(clip_grad_norm=0.0), "clip_grad_norm must be"), (dict(epochs=0), "epochs must be"),
    (dict(seed=-1), "seed must be"), (dict(test_size=1.0), "test_size must be"),
])
def test_invalid_options_name_the_option(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        TrainConfig(**kwargs)
    assert "got" in str(info.value)


def test_defaults_depend_on_model_and_optimizer():
    assert TrainConfig().epochs == 15 and TrainConfig(model="mlp").epochs == 40
    assert TrainConfig(optimizer="momentum").momentum == 0.9
    assert TrainConfig(optimizer="rmsprop").momentum == 0.0
    assert TrainConfig(optimizer="adamw").weight_decay == 0.01
    assert TrainConfig(optimizer="adam").momentum is None


def test_round_trip_and_differences():
    a = TrainConfig(model="mlp", epochs=3, backend="numpy")
    assert TrainConfig.from_dict(a.to_dict()) == a
    b = TrainConfig(model="mlp", epochs=9, backend="array_api_strict", seed=2)
    assert a.differences(b) == ["seed: 0 vs 2"]  # epochs and backend may change on resume
    with pytest.raises(ValueError, match="not an xpnet train config"):
        TrainConfig.from_dict({"model": "mlp"})
