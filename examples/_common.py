"""Plumbing shared by the example scripts: their common command-line options and saving a figure.

Nothing here is part of a lesson: each example writes out its model, optimizer
and training loop itself.  Two pieces of data preparation are shared here:
``standardized_digits`` (the usual split and scaling; ``feature_scaling.py``
writes it out and compares scalers) and ``small_noisy_digits``, the training
set the two regularization examples (``dropout.py``, ``weight_decay.py``)
overfit, which each of them explains.  The scripts import this file as
``_common``, which works when one is run as ``python examples/<name>.py``
from any folder (Python puts the script's folder first on ``sys.path``).
Copying an example elsewhere?  Copy this file next to it.

Every example writes its figure to ``<name>.png`` in the current folder unless
told otherwise (``--plot FILE.png``, or ``--no-plot``).  matplotlib (the
``examples`` extra) is imported only when a figure is made; without it the
script says so in one line and still prints its results.
"""
import argparse
import os
import pathlib

import numpy

from xpnet.backend import backend_names
from xpnet.data import StandardScaler, load_digits, train_test_split


def make_parser(doc, script, plot_help):
    """An argument parser described by the first line of ``doc``, with the options of every example.

    ``--backend`` (default: ``$XPNET_BACKEND``, else ``numpy``), ``--seed``
    (default 0), ``--plot FILE.png`` (help text ``plot_help``; default: the
    name of ``script``, the example's ``__file__``, with ``.png``) and
    ``--no-plot``; the script adds its own options.
    """
    parser = argparse.ArgumentParser(prog=pathlib.Path(script).name,
                                     description=doc.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("XPNET_BACKEND", "numpy"),
                        choices=backend_names())
    parser.add_argument("--seed", type=int, default=0)
    default = pathlib.Path(script).stem + ".png"
    parser.add_argument("--plot", metavar="FILE.png", default=default,
                        help=f"{plot_help} (default: {default}; '' for none)")
    parser.add_argument("--no-plot", dest="plot", action="store_const", const="",
                        help="write no figure")
    return parser


def parse(parser, argv):
    """``parser.parse_args(argv)``, announcing the backend and seed the run uses."""
    args = parser.parse_args(argv)
    print(f"{parser.prog}: backend {args.backend}, seed {args.seed}")
    return args


def want_plot(args):
    """True if a figure is asked for (``args.plot``) and matplotlib can draw it; else says why not."""
    if not args.plot:
        return False
    try:
        import matplotlib  # noqa: F401  (the ``examples`` extra)
    except ImportError:
        print(f"matplotlib is not installed (pip install 'xpnet[examples]'): {args.plot} not written")
        return False
    return True


def subplots(nrows=1, ncols=1, figsize=(6, 4), **kwargs):
    """``matplotlib.pyplot.subplots`` drawing for a file only (the Agg backend, no window)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(nrows, ncols, figsize=figsize, **kwargs)


def save_figure(fig, path):
    """Lay out ``fig``, write it to ``path``, close it and say so."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")


def standardized_digits(seed, test_size=0.25, train_size=None):
    """The digits as 64 features, split (stratified by ``seed``) and standardized.

    The ``StandardScaler`` is fitted on the training split only (after keeping
    its first ``train_size`` samples, if given) and applied to both splits:
    fitting it on the test data would leak that data's statistics into
    training.  Returns host arrays ``(x_train, y_train, x_test, y_test)``.
    """
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, seed=seed)
    x_train, y_train = x_train[:train_size], y_train[:train_size]
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_test), y_test


def add_noisy_data_options(parser):
    """``--train-size`` and ``--label-noise``: the options of :func:`small_noisy_digits`."""
    parser.add_argument("--train-size", type=int, default=200)
    parser.add_argument("--label-noise", type=float, default=0.3,
                        help="fraction of training labels made wrong")


def small_noisy_digits(args, test_size=450):
    """A small training set with some wrong labels, and a test set with correct ones.

    ``args.train_size`` digits of which a fraction ``args.label_noise`` have
    their label changed to a different class, and ``test_size`` others,
    standardized as :func:`standardized_digits` (``args.seed`` picks the split
    and the wrong labels).  Returns host arrays ``(x_train, y_train, x_test, y_test)``.
    """
    x_train, y_train, x_test, y_test = standardized_digits(args.seed, test_size, args.train_size)
    y_train = y_train.copy()
    rng = numpy.random.default_rng(args.seed)
    wrong = rng.choice(len(y_train), size=round(args.label_noise * len(y_train)), replace=False)
    y_train[wrong] = (y_train[wrong] + rng.integers(1, 10, size=len(wrong))) % 10  # never the true class
    return x_train, y_train, x_test, y_test
