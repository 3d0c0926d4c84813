"""Plot a training run to a PNG: loss and accuracy per epoch, and per-layer gradient norms.

``plot_training(history, "run.png", grad_norms)`` draws one figure:

* **loss** per epoch, training and (when recorded) validation;
* **accuracy** per epoch, training and validation, in percent (left out
  when no epoch has an accuracy);
* **gradient norms** (only when ``grad_norms`` is given): one line per
  layer, the L2 norm ``||dL/dW||_2`` of its gradient, one value per epoch,
  on a log y axis so layers whose norms differ by orders of magnitude can
  be compared and vanishing or exploding gradients stand out.  A layer with
  fewer values than epochs is drawn over the last epochs (a resumed run
  monitors only the epochs it trains).  Values that
  a log axis cannot show (zero, negative, NaN, inf) leave a gap and the
  layer's legend entry says how many were left out.

``history`` is the trainer's :class:`~xpnet.train.History` (anything with
``.epochs``, a list of dicts with ``"loss"`` and optionally ``"epoch"``,
``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``), or that list itself.
matplotlib is needed (``pip install 'xpnet[plot]'``) and imported only when
a plot is drawn; the figure is a ``matplotlib.figure.Figure`` rendered with
Agg, so no window opens and pyplot's global state is untouched.

After a run: ``plot_training(fit(...), "run.png", monitor.grad_norms)`` with a
:class:`~xpnet.train.GradientMonitor` ``monitor`` among ``fit``'s callbacks;
:func:`plot_training` has a runnable example.

See also: :func:`make_figure` (the same figure, returned instead of saved).
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

#: ``{layer name: [gradient L2 norm per epoch]}`` (lists, tuples or 1-D arrays)
GradNorms = Optional[Mapping[str, Sequence[float]]]
FONT = {"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
        "ytick.labelsize": 10, "legend.fontsize": 9}
MANY_LAYERS = 10      # beyond this, layer colors come from a colormap (tab10 repeats)
MARKER_EPOCHS = 25    # up to this many epochs, points are marked
LEGEND_RIGHT_MAX = 8  # more layers than this: the legend goes below the panel, in columns
LEGEND_COLUMNS = 4


def _matplotlib():
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib import ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError as e:
        raise RuntimeError(f"plotting needs matplotlib, which is not installed ({e}); "
                           f"pip install 'xpnet[plot]'") from e
    def agg_figure(**kwargs):  # drawn by Agg whatever pyplot's backend: no window, ever
        fig = Figure(**kwargs)
        FigureCanvasAgg(fig)
        return fig
    return matplotlib, agg_figure, ticker


def _epochs(history) -> List[dict]:
    records = getattr(history, "epochs", history)
    if not isinstance(records, (list, tuple)) or not all(isinstance(r, dict) for r in records):
        raise TypeError(f"history must be a History (with .epochs, a list of dicts) or a list of "
                        f"dicts; got {type(history).__name__}")
    if not records:
        raise ValueError("history has no epochs; train for at least one epoch before plotting")
    for i, r in enumerate(records):
        for key in ("loss", "epoch", "accuracy", "val_loss", "val_accuracy"):
            if key in r and (isinstance(r[key], bool) or not isinstance(r[key], numbers.Real)):
                raise TypeError(f"history.epochs[{i}][{key!r}] must be a number; got {r[key]!r}")
        if "loss" not in r:
            raise ValueError(f"history.epochs[{i}] has no 'loss'; keys: {sorted(r)}")
    return list(records)


def _grad_norms(grad_norms: GradNorms, n_epochs: int) -> Dict[str, List[float]]:
    if grad_norms is None:
        return {}
    if not isinstance(grad_norms, Mapping):
        raise TypeError(f"grad_norms must be a dict {{layer name: [norm per epoch]}} or None; "
                        f"got {type(grad_norms).__name__}")
    if not grad_norms:
        raise ValueError("grad_norms is empty; pass None to leave out the gradient-norm panel")
    out = {}
    for name, values in grad_norms.items():
        if getattr(values, "ndim", None) == 1 and hasattr(values, "tolist"):
            values = values.tolist()  # a 1-D array (NumPy, CuPy, ...)
        if not isinstance(name, str):
            raise TypeError(f"grad_norms keys must be layer names (str); got {name!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            raise TypeError(f"grad_norms[{name!r}] must be a list of numbers (one per epoch); "
                            f"got {values!r}")
        if not 1 <= len(values) <= n_epochs:
            raise ValueError(f"grad_norms[{name!r}] has {len(values)} values but history has "
                             f"{n_epochs} epochs; give one norm per epoch (or per epoch of "
                             f"the last ones, e.g. those a resumed run trained)")
        out[name] = [float(v) for v in values]
    return out


def _series(records: List[dict], key: str) -> Tuple[List[float], List[float]]:
    """(epochs, values) of the records that have ``key``."""
    xs = [r.get("epoch", i + 1) for i, r in enumerate(records) if key in r]
    return xs, [float(r[key]) for r in records if key in r]


def _epoch_axis(ax, xs: List[float], ticker) -> None:
    """x axis of epochs: labelled, integer ticks, exactly the epochs' range (plus a margin)."""
    pad = max(0.5, 0.02 * (max(xs) - min(xs)))
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.grid(True, which="both", alpha=0.3)


def _curves(ax, records, keys, ticker, percent=False) -> None:
    style = dict(marker="o", markersize=4) if len(records) <= MARKER_EPOCHS else {}
    for key, label, color in zip(keys, ("training", "validation"), ("C0", "C1")):
        xs, ys = _series(records, key)
        if xs:
            ax.plot(xs, [100 * y for y in ys] if percent else ys, label=label, color=color,
                    linewidth=1.8, **style)
    _epoch_axis(ax, _series(records, "loss")[0], ticker)
    ax.legend(loc="best")


def _legend_below(n_layers: int) -> bool:
    return n_layers > LEGEND_RIGHT_MAX


def _grad_panel(ax, norms: Dict[str, List[float]], xs, matplotlib, ticker) -> None:
    n = len(norms)
    colors = (matplotlib.colormaps["turbo"]([0.05 + 0.9 * i / (n - 1) for i in range(n)])
              if n > MANY_LAYERS else [f"C{i}" for i in range(n)])
    style = dict(marker="o", markersize=3) if len(xs) <= MARKER_EPOCHS else {}
    shown = 0
    for (name, values), color in zip(norms.items(), colors):
        ys = [v if math.isfinite(v) and v > 0 else math.nan for v in values]
        hidden = sum(math.isnan(y) for y in ys)
        shown += len(ys) - hidden
        label = name + (f" ({hidden} hidden: ≤ 0 or not finite)" if hidden else "")
        ax.plot(xs[len(xs) - len(ys):], ys, label=label, color=color, linewidth=1.5, **style)
    ax.set_yscale("log")
    if not shown:
        ax.text(0.5, 0.5, "no positive finite gradient norm to show on a log scale",
                ha="center", va="center", transform=ax.transAxes)
    ax.set_title("Gradient L2 norm per layer (log scale)")
    ax.set_ylabel("‖gradient‖₂")
    _epoch_axis(ax, xs, ticker)
    if _legend_below(n):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=LEGEND_COLUMNS,
                  title="layer")
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, title="layer")


def make_figure(history, grad_norms: GradNorms = None):
    """The training figure as a ``matplotlib.figure.Figure`` (not saved; see :func:`plot_training`).

    Axes, in ``fig.get_axes()`` order: loss; accuracy (if any epoch has
    one); gradient norms (if ``grad_norms`` is given), below the others and
    as wide as both, with its legend at the right, or below it beyond
    ``LEGEND_RIGHT_MAX`` layers.

    Raises:
        TypeError: ``history`` is not a History / list of dicts, a value is
            not a number, or ``grad_norms`` is not ``{str: [numbers]}``.
        ValueError: no epochs, an epoch without ``"loss"``, an empty
            ``grad_norms`` or a layer with no norm or more norms than epochs.
        RuntimeError: matplotlib is not installed.

    >>> history = [{"epoch": 1, "loss": 0.9, "accuracy": 0.6},
    ...            {"epoch": 2, "loss": 0.5, "accuracy": 0.8}]
    >>> [ax.get_title() for ax in make_figure(history, {"fc1": [0.9, 0.5]}).get_axes()]
    ['Loss', 'Accuracy', 'Gradient L2 norm per layer (log scale)']
    >>> [ax.get_title() for ax in make_figure([{"loss": 0.3}, {"loss": 0.2}]).get_axes()]
    ['Loss']
    """
    records = _epochs(history)
    norms = _grad_norms(grad_norms, len(records))
    matplotlib, Figure, ticker = _matplotlib()
    has_acc = any("accuracy" in r or "val_accuracy" in r for r in records)
    legend_rows = math.ceil(len(norms) / LEGEND_COLUMNS) if _legend_below(len(norms)) else 0
    curves_height, grads_height = 4.5, (4.5 + 0.25 * legend_rows if norms else 0)
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(11, curves_height + grads_height), dpi=110, layout="constrained")
        # two subfigures: the gradient panel's legend does not squeeze the curves above it
        top, bottom = (fig.subfigures(2, 1, height_ratios=[curves_height, grads_height])
                       if norms else (fig, None))
        axes = top.subplots(1, 2 if has_acc else 1, squeeze=False)[0]
        _curves(axes[0], records, ("loss", "val_loss"), ticker)
        axes[0].set(title="Loss", ylabel="loss")
        if has_acc:
            _curves(axes[1], records, ("accuracy", "val_accuracy"), ticker, percent=True)
            axes[1].set(title="Accuracy", ylabel="accuracy (%)")
        if norms:
            xs = [r.get("epoch", i + 1) for i, r in enumerate(records)]
            _grad_panel(bottom.subplots(), norms, xs, matplotlib, ticker)
    return fig


def plot_training(history, path, grad_norms: GradNorms = None):
    """Write the training figure of :func:`make_figure` to the PNG file ``path``; returns ``path``.

    ``path`` must end in ``.png`` and its folder must exist; the arguments
    are checked before anything is drawn or written.

    >>> import os, tempfile
    >>> history = [{"epoch": 1, "loss": 0.9, "val_loss": 1.0},
    ...            {"epoch": 2, "loss": 0.5, "val_loss": 0.7}]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = plot_training(history, os.path.join(folder, "run.png"),
    ...                          {"fc1": [0.9, 0.5], "fc2": [0.2, 0.1]})
    ...     with open(path, "rb") as f:
    ...         print(f.read(4))
    b'\\x89PNG'
    >>> plot_training(history, "run.pdf")
    Traceback (most recent call last):
    ValueError: plot_training(path=...) writes a PNG, so the name must end in .png; got 'run.pdf'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"plot_training(path=...) must be a str or os.PathLike; got "
                        f"{type(path).__name__}")
    name = os.fspath(path)
    if not name.lower().endswith(".png"):
        raise ValueError(f"plot_training(path=...) writes a PNG, so the name must end in .png; "
                         f"got {name!r}")
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"plot_training(path={name!r}): the folder {folder!r} does not "
                                f"exist; create it first")
    fig = make_figure(history, grad_norms)
    with _matplotlib()[0].rc_context(FONT):  # tick labels are made while drawing
        fig.savefig(name, format="png")
    return path
