"""Plumbing shared by the example scripts: their common command-line options and saving a figure.

Nothing here is part of a lesson: each example writes out its data, scaling,
model, optimizer and training loop itself.  The scripts import this file as
``_common``, which works when one is run as ``python examples/<name>.py``
from any folder (Python puts the script's folder first on ``sys.path``).
Copying an example elsewhere?  Copy this file next to it.

matplotlib (the ``examples`` extra) is imported only when a figure is made,
so the scripts run without it unless ``--plot`` is given.
"""
import argparse
import os

from xpnet.backend import backend_names


def make_parser(doc, plot_help):
    """An argument parser described by the first line of ``doc``, with the options of every example.

    ``--backend`` (default: ``$XPNET_BACKEND``, else ``numpy``), ``--seed``
    (default 0) and ``--plot FILE.png`` (help text ``plot_help``); the
    script adds its own options.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("XPNET_BACKEND", "numpy"),
                        choices=backend_names())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE.png", help=plot_help)
    return parser


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
