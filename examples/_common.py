"""Plumbing shared by the example scripts: their common command-line options and saving a figure.

Nothing here is part of a lesson: each example writes out its data, scaling,
model, optimizer and training loop itself.  The scripts import this file as
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

from xpnet.backend import backend_names


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
