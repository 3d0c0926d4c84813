"""``xpnet train``: the main job (see :mod:`xpnet.train.job`)."""
from __future__ import annotations

import argparse

from ..backend import backend_names


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int; got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative number; got {text}")
    return value


def add_parser(sub) -> None:
    from ..train.job import OPTIMIZERS
    from ..train.models import MODELS
    p = sub.add_parser("train", help="train on the embedded 8x8 digits; print the test accuracy",
                       description="Train a classifier on the 8x8 handwritten digits that ship "
                                   "with xpnet (75%% train / 25%% test, stratified) and print "
                                   "the test accuracy.")
    p.add_argument("--model", choices=sorted(MODELS), default="cnn")
    p.add_argument("--backend", choices=[n for n in backend_names()], default=None,
                   help="default: $XPNET_BACKEND or numpy")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="default: 15 for cnn, 40 for mlp")
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--lr", type=_non_negative_float, default=1e-3)
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..backend import get_backend
    from ..train.job import run as run_job
    epochs = args.epochs or (15 if args.model == "cnn" else 40)
    backend = get_backend(args.backend).name
    print(f"xpnet train: {args.model} on digits, backend {backend}, {epochs} epochs, "
          f"batch {args.batch_size}, {args.optimizer} lr={args.lr}, seed {args.seed}")
    result = run_job(model=args.model, backend=backend, epochs=epochs,
                     batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                     seed=args.seed, progress=not args.no_progress)
    for e in result.history.epochs:
        print(f"epoch {e['epoch']:3d}  loss {e['loss']:.4f}  acc {e['accuracy']:.4f}  "
              f"test loss {e['val_loss']:.4f}  test acc {e['val_accuracy']:.4f}  "
              f"({e['seconds']:.2f} s)")
    print(f"test accuracy: {result.test_accuracy:.4f}  (test loss {result.test_loss:.4f}, "
          f"{result.seconds:.1f} s)")
    return 0
