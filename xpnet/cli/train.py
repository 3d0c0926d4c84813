"""``xpnet train``: the main job (see :mod:`xpnet.train.job`); all printing of a run is here."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import warnings

from ..backend import backend_names
from ..train.callbacks import Callback
from ._parser import USER_ERRORS, add_command, one_line

DESCRIPTION = """Train a classifier on the 8x8 handwritten digits that ship with xpnet
(75% train / 25% test, stratified) or on your own data (--data); print each
epoch's loss and accuracy and the final test accuracy. A NaN/inf loss or
gradient stops the run with a message naming the epoch, step and layer (the
last checkpoint stays)."""
EXAMPLES = """examples:
  xpnet train                                   # the CNN on the digits, Adam, 15 epochs
  xpnet train --model mlp --optimizer nesterov --lr 0.05 --batch-size full --epochs 100
  xpnet train --model mlp --epochs 40 --save run.xpt      # checkpoint every epoch (+ run.best.xpt)
  xpnet train --model mlp --epochs 60 --resume run.xpt --save run.xpt   # continue it to epoch 60
  xpnet train --model mlp --activation sigmoid --init xavier --plot run.png   # curves + gradient norms
  xpnet train --data mnist/ --epochs 3          # a folder with the four MNIST IDX files (or an .npz)
  mpiexec -n 2 python -m xpnet train --distributed   # data-parallel over 2 processes (pip install 'xpnet[mpi]')
"""


def _parse(convert, rule):
    """An argparse type: ``convert(text)`` must succeed and satisfy ``rule``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not rule[0](value):
            raise argparse.ArgumentTypeError(f"must be {rule[1]}; got {text!r}")
        return value
    return parse


_positive_int = _parse(int, (lambda v: v >= 1, "an int >= 1"))
_non_negative = _parse(float, (lambda v: 0 <= v < float("inf"), "a finite number >= 0"))
_positive = _parse(float, (lambda v: 0 < v < float("inf"), "a finite number > 0"))
_fraction = _parse(float, (lambda v: 0 <= v < 1, "a number in [0, 1)"))
_batch_size = _parse(lambda t: t if t == "full" else int(t),
                     (lambda v: v == "full" or v >= 1, "an int >= 1 or 'full'"))


def add_parser(sub) -> None:
    from ..train.config import MOMENTUM_DEFAULTS, SCALES
    from ..train.models import ACTIVATIONS, INITS
    p = add_command(sub, "train", DESCRIPTION, EXAMPLES,
                    help="train a classifier (default: a CNN on the embedded 8x8 digits)")
    add = p.add_argument
    add("--model", choices=["mlp", "cnn"], default="cnn",
        help="mlp: Linear-act-Dropout-Linear-act-Linear on flat features; cnn: two conv+batch "
             "norm blocks, max pool, Linear-act-Dropout-Linear (default: cnn)")
    add("--data", default="digits", metavar="digits|PATH",
        help="the data set: 'digits' (the 1797 8x8 images shipped with xpnet, split 75/25; the "
             "default), an .npz with exactly x_train, y_train, x_test, y_test, or a folder "
             "with the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
             "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz ok)")
    add("--optimizer", choices=list(MOMENTUM_DEFAULTS), default="adam",
        help="sgd: plain SGD; momentum / nesterov: SGD with (Nesterov) momentum; adagrad, "
             "rmsprop, adam, adamw (decoupled weight decay) as in PyTorch (default: adam)")
    add("--lr", type=_non_negative, default=1e-3, help="learning rate (default: 0.001)")
    add("--momentum", type=_fraction, default=None,
        help="momentum factor for --optimizer momentum, nesterov (default 0.9) or rmsprop "
             "(default 0); an error with the other optimizers")
    add("--weight-decay", type=_non_negative, default=None,
        help="L2 penalty (adamw: decoupled decay); default 0.01 for adamw, else 0")
    add("--dropout", type=_fraction, default=None,
        help="dropout probability of the model's Dropout layer (default: 0.1 mlp, 0.5 cnn)")
    add("--batch-size", type=_batch_size, default=64, metavar="N|full",
        help="samples per step: N (mini-batch), 1 (stochastic) or full (batch gradient "
             "descent, one step per epoch) (default: 64)")
    add("--scale", choices=SCALES, default="standard",
        help="feature scaling fitted on the training split: standard (zero mean, unit "
             "variance per pixel), minmax (to [0, 1]) or none (default: standard)")
    add("--init", choices=INITS, default="default",
        help="weight initialization of Linear/Conv layers: default (PyTorch's), xavier "
             "(xavier_uniform_) or he (kaiming_uniform_ with the activation's gain); "
             "biases 0 for xavier and he (default: default)")
    add("--activation", choices=list(ACTIVATIONS), default="relu",
        help="the hidden layers' activation (default: relu)")
    add("--clip-grad-norm", type=_positive, default=None, metavar="MAX",
        help="scale the gradients so their joint L2 norm is at most MAX before each step "
             "(default: no clipping)")
    add("--epochs", type=_positive_int, default=None,
        help="number of the last epoch to train (default: 15 for cnn, 40 for mlp)")
    add("--seed", type=_parse(int, (lambda v: v >= 0, "an int >= 0")), default=0,
        help="seed of the split, the initial weights, the shuffling and dropout (default: 0)")
    add("--backend", choices=list(backend_names()), default=None,
        help="array backend (default: $XPNET_BACKEND or numpy)")
    add("--save", metavar="PATH", default=None,
        help="write a checkpoint to PATH after every epoch, and the best epoch by test "
             "accuracy to PATH with .best before the suffix (run.xpt -> run.best.xpt)")
    add("--resume", metavar="PATH", default=None,
        help="continue the run saved at PATH up to --epochs; every other option must match "
             "the saved run's (--backend may differ); combine with --save to keep saving")
    add("--plot", metavar="PATH.png", default=None,
        help="write a PNG of training/test loss and accuracy per epoch and the per-layer "
             "gradient norms (log scale); needs matplotlib: pip install 'xpnet[plot]'")
    add("--distributed", action="store_true",
        help="train data-parallel on every process of an MPI job (mpiexec -n R python -m "
             "xpnet train --distributed): each rank takes batch-size/R of every batch, "
             "gradients are averaged; only rank 0 prints, plots and saves "
             "(pip install 'xpnet[mpi]')")
    add("--no-progress", action="store_true", help="no progress bar (it is only drawn on a "
                                                   "terminal anyway)")
    p.set_defaults(run=run)


class _PrintEpochs(Callback):
    """Prints one line per finished epoch, as it finishes."""

    def on_train_begin(self, loop):
        if loop.initial_epoch:
            print(f"resuming after epoch {loop.initial_epoch}", flush=True)

    def on_epoch_end(self, loop):
        e = loop.record
        print(f"epoch {e['epoch']:3d}  loss {e['loss']:.4f}  acc {e['accuracy']:.4f}  "
              f"test loss {e['val_loss']:.4f}  test acc {e['val_accuracy']:.4f}  "
              f"({e['seconds']:.2f} s)", flush=True)


def config_from_args(args):
    """The :class:`~xpnet.train.config.TrainConfig` of parsed arguments (``ValueError`` if invalid)."""
    from ..backend import get_backend
    from ..train.config import TrainConfig
    return TrainConfig(model=args.model, data=args.data, optimizer=args.optimizer, lr=args.lr,
                       momentum=args.momentum, weight_decay=args.weight_decay,
                       dropout=args.dropout, batch_size=args.batch_size, scale=args.scale,
                       init=args.init, activation=args.activation,
                       clip_grad_norm=args.clip_grad_norm, epochs=args.epochs, seed=args.seed,
                       backend=get_backend(args.backend).name)


def _check_output(flag: str, path, suffix: str = "") -> None:
    """``ValueError`` before training, not after it, if ``path`` cannot be written: its
    folder does not exist, it is a folder, or its name does not end in ``suffix``."""
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"{flag} {path}: the folder {folder} does not exist")
        if os.path.isdir(path):
            raise ValueError(f"{flag} {path}: is a folder; give a file name in it")
        if not path.lower().endswith(suffix):
            raise ValueError(f"{flag} {path}: the file name must end in {suffix}")


def _plot_until_it_stopped(path, error) -> None:
    """``--plot`` of a run stopped by the NaN guard: the epochs it finished, which show how
    it diverged (growing gradient norms); nothing if it stopped in its first epoch."""
    from ..train.plot import plot_training
    if error.history.epochs:
        written = plot_training(error.history, path, error.grad_norms)
        print(f"wrote {written} (the {len(error.history.epochs)} epochs before the run "
              f"stopped)", flush=True)
    else:
        print("no plot: the run stopped in its first epoch", flush=True)


def run(args) -> int:
    from ..train.job import run as run_job
    config = config_from_args(args)
    _check_output("--save", args.save)
    _check_output("--plot", args.plot, ".png")
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        raise ValueError(f"--plot {args.plot} needs matplotlib: pip install 'xpnet[plot]'")
    rank, world = 0, 1
    if args.distributed:
        from .. import distributed
        rank, world = distributed.setup(config.backend)
    main = rank == 0  # only rank 0 prints, plots and saves
    if main:
        ranks = f" on {world} ranks" if args.distributed else ""
        print(f"xpnet train: {config.model} on {config.data}, backend {config.backend}{ranks}, "
              f"{config.epochs} epochs, batch {config.batch_size}, {config.optimizer} "
              f"lr={config.lr}, seed {config.seed}", flush=True)
    try:
        with warnings.catch_warnings():  # a diverging run: the NaN guard's one line says it all
            warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero) "
                                    r"encountered", RuntimeWarning)
            result = run_job(config, save=args.save, resume=args.resume,
                             progress=main and not args.no_progress,
                             callbacks=[_PrintEpochs()] if main else [],
                             monitor_gradients=args.plot is not None,
                             distributed=args.distributed)
    except USER_ERRORS as e:
        if main and args.plot is not None and getattr(e, "history", None) is not None:
            _plot_until_it_stopped(args.plot, e)
        if world == 1:
            raise  # xpnet.cli.main prints it as one line
        # returning would leave the other ranks waiting in a collective for this one
        print(f"xpnet train: error on rank {rank}: {one_line(e)}", file=sys.stderr, flush=True)
        distributed.get_world().abort(2)
    if main:
        print(f"test accuracy: {result.test_accuracy:.4f}  (test loss {result.test_loss:.4f}, "
              f"{result.seconds:.1f} s)")
        if args.plot is not None:
            from ..train.plot import plot_training
            print(f"wrote {plot_training(result.history, args.plot, result.grad_norms)}")
    return 0
