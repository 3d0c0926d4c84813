"""plot_training / make_figure: panels, labels, log scale, one line per layer, errors before drawing."""
import math
import sys

import numpy
import pytest

pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgba  # noqa: E402

from xpnet.train import History  # noqa: E402
from xpnet.train.plot import LEGEND_RIGHT_MAX, MANY_LAYERS, make_figure, plot_training  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def history(n=5, val=True, acc=True):
    epochs = []
    for e in range(1, n + 1):
        r = {"epoch": e, "loss": 2.0 / e, "lr": 1e-3, "seconds": 0.1}
        if acc:
            r["accuracy"] = 1 - 0.5 / e
        if val:
            r["val_loss"] = 2.2 / e
            if acc:
                r["val_accuracy"] = 1 - 0.6 / e
        epochs.append(r)
    return History(epochs=epochs)


def norms(layers, n=5):
    return {f"layer{i}": [10.0 ** -i / e for e in range(1, n + 1)] for i in range(layers)}


def labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_writes_a_png_with_loss_accuracy_and_gradient_panels(tmp_path):
    path = tmp_path / "run.png"
    assert plot_training(history(), path, norms(3)) == path
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    loss, acc, grads = make_figure(history(), norms(3)).get_axes()
    assert (loss.get_title(), loss.get_xlabel(), loss.get_ylabel()) == ("Loss", "epoch", "loss")
    assert (acc.get_title(), acc.get_ylabel()) == ("Accuracy", "accuracy (%)")
    assert labels(loss) == labels(acc) == ["training", "validation"]
    numpy.testing.assert_allclose(loss.get_lines()[1].get_ydata(), [2.2 / e for e in range(1, 6)])
    numpy.testing.assert_allclose(acc.get_lines()[0].get_ydata(), [100 - 50 / e for e in range(1, 6)])
    assert grads.get_yscale() == "log"
    assert grads.get_xlabel() == "epoch" and "gradient" in grads.get_ylabel()
    assert labels(grads) == ["layer0", "layer1", "layer2"]
    numpy.testing.assert_allclose(grads.get_lines()[2].get_ydata(), norms(3)["layer2"])


def test_without_validation_or_gradients_two_panels_one_line_each():
    fig = make_figure(history(val=False))
    assert len(fig.get_axes()) == 2
    assert all(labels(ax) == ["training"] for ax in fig.get_axes())


def test_without_accuracy_only_the_loss_panel():
    (loss,) = make_figure(history(acc=False)).get_axes()
    assert labels(loss) == ["training", "validation"]


def test_a_plain_list_of_epochs_without_epoch_numbers():
    (loss,) = make_figure([{"loss": 3.0}, {"loss": 2.0}]).get_axes()
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2]


@pytest.mark.parametrize("layers", [MANY_LAYERS - 1, MANY_LAYERS + 2])
def test_one_distinct_color_per_layer(layers):
    grads = make_figure(history(), norms(layers)).get_axes()[-1]
    assert len(grads.get_lines()) == layers
    assert len({to_rgba(line.get_color()) for line in grads.get_lines()}) == layers


@pytest.mark.parametrize("layers", [2, LEGEND_RIGHT_MAX + 1, 30])
def test_nothing_overlaps(layers):
    """Panels (with their labels and tick labels) and the layer legend do not overlap each other."""
    fig = make_figure(history(40), norms(layers, 40))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer, bbox_extra_artists=[]) for ax in fig.get_axes()]
    legend = fig.get_axes()[-1].get_legend().get_window_extent(renderer)
    boxes.append(legend)
    for i, a in enumerate(boxes):
        assert fig.bbox.contains(a.x0 + 1, a.y0 + 1) and fig.bbox.contains(a.x1 - 1, a.y1 - 1)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    grads = boxes[-2]
    assert (legend.y1 <= grads.y0) == (layers > LEGEND_RIGHT_MAX)  # below, else at the right


def test_non_positive_and_non_finite_norms_leave_gaps_and_say_so():
    g = {"a": [1.0, 0.0, -2.0, math.nan, 0.5], "b": numpy.array([1.0, 2.0, 3.0, 4.0, math.inf])}
    grads = make_figure(history(), g).get_axes()[-1]
    assert labels(grads) == ["a (3 hidden: ≤ 0 or not finite)", "b (1 hidden: ≤ 0 or not finite)"]
    ys = grads.get_lines()[0].get_ydata()
    assert ys[0] == 1.0 and ys[4] == 0.5 and numpy.isnan(ys[1:4]).all()
    nothing = make_figure(history(), {"a": [0.0] * 5}).get_axes()[-1]
    assert [t.get_text() for t in nothing.texts] == ["no positive finite gradient norm to show on a log scale"]


def test_fewer_norms_than_epochs_are_the_last_epochs():
    """A resumed run monitors only the epochs it trains: its norms go to the last epochs."""
    grads = make_figure(history(), {"fc": [1.0, 2.0], "out": [3.0, 4.0, 5.0]}).get_axes()[-1]
    assert [list(line.get_xdata()) for line in grads.get_lines()] == [[4, 5], [3, 4, 5]]
    assert labels(grads) == ["fc", "out"]


@pytest.mark.parametrize("hist, grad_norms, exc, msg", [
    (History(), None, ValueError, "history has no epochs"),
    ([], None, ValueError, "history has no epochs"),
    ({"loss": [1.0]}, None, TypeError, "history must be a History .* got dict"),
    ([{"loss": 1.0}, {"accuracy": 0.5}], None, ValueError, r"history.epochs\[1\] has no 'loss'; keys: \['accuracy'\]"),
    ([{"loss": "1.0"}], None, TypeError, r"history.epochs\[0\]\['loss'\] must be a number; got '1.0'"),
    (history(), {}, ValueError, "grad_norms is empty; pass None"),
    (history(), [[1.0] * 5], TypeError, "grad_norms must be a dict .* got list"),
    (history(), {"fc": [1.0] * 6}, ValueError, r"grad_norms\['fc'\] has 6 values but history has 5 epochs"),
    (history(), {"fc": []}, ValueError, r"grad_norms\['fc'\] has 0 values but history has 5 epochs"),
    (history(), {"fc": "12345"}, TypeError, r"grad_norms\['fc'\] must be a list of numbers"),
    (history(), {"fc": [1.0, None, 1.0, 1.0, 1.0]}, TypeError, r"grad_norms\['fc'\] must be a list of numbers"),
    (history(), {3: [1.0] * 5}, TypeError, r"grad_norms keys must be layer names \(str\); got 3"),
])
def test_bad_input_is_rejected_before_anything_is_written(tmp_path, hist, grad_norms, exc, msg):
    path = tmp_path / "x.png"
    with pytest.raises(exc, match=msg):
        plot_training(hist, path, grad_norms)
    assert not path.exists()


def test_bad_paths(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.png; got '.*run\.pdf'"):
        plot_training(history(), tmp_path / "run.pdf")
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        plot_training(history(), tmp_path / "missing" / "run.png")
    with pytest.raises(TypeError, match="must be a str or os.PathLike; got int"):
        plot_training(history(), 3)


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RuntimeError, match=r"pip install 'xpnet\[plot\]'"):
        make_figure(history())
