"""Batch normalization: the same small CNN with and without BatchNorm2d, and what model.eval() changes.

What it teaches:

* ``BatchNorm2d`` normalizes each channel to mean 0 and variance 1 over the
  current *batch* (then scales and shifts it by two learned parameters per
  channel), so each layer sees inputs of a steady scale however the layers
  before it change.  The same CNN, from the same initial weights and batches
  with SGD (momentum 0.9), trains much faster with it: at ``lr=0.01`` the
  plain network hardly moves in the first epochs while the normalized one
  is already accurate, and at ``lr=0.1`` it still ends with a lower loss.
* Meanwhile it keeps running estimates (``running_mean``, ``running_var``,
  an exponential average with ``momentum=0.1``; ``num_batches_tracked``
  counts the updates).  After ``model.eval()`` it uses those instead of the
  batch's statistics, so a prediction no longer depends on which other
  images share its batch.  The script prints the running estimates of the
  first BatchNorm next to the statistics of its input over the whole training
  set, and checks that one image gets the same scores alone and inside a
  batch in eval mode, but not in train mode.

The CNN: ``Conv2d(padding=1)`` keeps the 8x8 image size, ``MaxPool2d(2)``
halves it, ``Flatten`` turns (N, C, H, W) into (N, C*H*W) for the final
``Linear``; ``xpnet.train.fit`` runs the training loop, ``evaluate`` the test
pass.  The table shows the training loss per epoch and the test accuracy.

Run (four CNN trainings: well under a minute on a laptop CPU; writes ``batch_norm.png``
unless ``--no-plot``)::

    python examples/batch_norm.py
    python examples/batch_norm.py --epochs 10 --lrs 0.01 0.1 0.3 --plot bn.png
"""
import copy

import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset, load_digits, train_test_split
from xpnet.train import evaluate, fit

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py


def make_cnn(width=16, batch_norm=True):
    """Two conv blocks and a linear classifier; without ``batch_norm`` the BatchNorm2d are Identity."""
    def norm(channels):
        return nn.BatchNorm2d(channels) if batch_norm else nn.Identity()
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), norm(width), nn.ReLU(),                # (N, w, 8, 8)
        nn.MaxPool2d(2),                                                          # (N, w, 4, 4)
        nn.Conv2d(width, 2 * width, 3, padding=1), norm(2 * width), nn.ReLU(),
        nn.MaxPool2d(2),                                                          # (N, 2w, 2, 2)
        nn.Flatten(),                                                             # (N, 8w)
        nn.Linear(2 * width * 2 * 2, 10))


def batch_effect(model, image, batch):
    """Largest change of the first image's scores when predicted alone vs as the first of ``batch``."""
    with xpnet.no_grad():
        return float(numpy.abs(model(image).numpy()[0] - model(batch).numpy()[0]).max())


def running_statistics(model, x_train):
    """The first BatchNorm2d's running estimates and the measured statistics of its input."""
    conv1, bn1 = model[0], model[1]
    with xpnet.no_grad():
        h = conv1(xpnet.tensor(x_train)).numpy()  # (N, w, 8, 8): what bn1 normalizes
    return {"running_mean": bn1.running_mean.numpy(), "measured_mean": h.mean(axis=(0, 2, 3)),
            "running_var": bn1.running_var.numpy(), "measured_var": h.var(axis=(0, 2, 3)),
            "num_batches_tracked": [int(m.num_batches_tracked.item()) for m in model.modules()
                                    if isinstance(m, nn.BatchNorm2d)]}


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the loss and accuracy curves")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16, help="channels of the first conv")
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.1],
                        help="SGD learning rates to compare at")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x, y = load_digits(return_images=True)  # (1797, 1, 8, 8) with pixel values 0..16
        x = x / 16.0                            # to [0, 1]
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, stratify=y, seed=args.seed)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)

        results = {"runs": {}}
        for lr in args.lrs:
            for batch_norm in (False, True):
                xpnet.manual_seed(args.seed)  # the same conv and linear weights with or without
                model = make_cnn(args.width, batch_norm)
                # the same seed gives every run the same sequence of shuffled batches
                train_loader = DataLoader(TensorDataset(x_train, y_train),
                                          batch_size=args.batch_size, shuffle=True, seed=args.seed)
                opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
                try:
                    history = fit(model, nn.CrossEntropyLoss(), opt, train_loader,
                                  epochs=args.epochs, val_loader=test_loader, progress=False)
                except FloatingPointError:  # the loss became NaN or infinite
                    history = None
                results["runs"][(lr, batch_norm)] = {
                    "losses": history["loss"] if history else None,
                    "test_accuracies": history["val_accuracy"] if history else None}

        # the last model trained has batch norm: its running statistics and eval mode
        model.eval()  # batch norm now uses its running estimates (evaluate does this too)
        results["test_accuracy"] = evaluate(model, test_loader)["accuracy"]
        results.update(running_statistics(model, x_train))
        results["batches_per_epoch"] = len(train_loader)
        image, batch = xpnet.tensor(x_test[:1]), xpnet.tensor(x_test[:64])
        results["eval_mode_batch_effect"] = batch_effect(model, image, batch)
        # a copy: in train mode each forward pass updates the running statistics
        results["train_mode_batch_effect"] = batch_effect(copy.deepcopy(model).train(), image, batch)

    shown = sorted({0, 1, args.epochs // 2, args.epochs - 1} & set(range(args.epochs)))
    print(f"CNN of width {args.width}, SGD with momentum 0.9, batch {args.batch_size}: "
          f"training loss per epoch and final test accuracy")
    print(f"{'lr':>6}  {'batch norm':<11}" + "".join(f"{f'epoch {e + 1}':>9}" for e in shown)
          + f"{'test acc':>10}")
    for (lr, batch_norm), r in results["runs"].items():
        cells = ("".join(f"{r['losses'][e]:>9.4f}" for e in shown)
                 + f"{r['test_accuracies'][-1]:>10.3f}") if r["losses"] else "  diverged"
        print(f"{lr:>6g}  {'with' if batch_norm else 'without':<11}" + cells)

    print(f"\nthe last network with batch norm, in eval mode: test accuracy "
          f"{results['test_accuracy']:.3f}")
    print(f"num_batches_tracked of each BatchNorm2d: {results['num_batches_tracked']} "
          f"(= {args.epochs} epochs x {results['batches_per_epoch']} batches)")
    print("first BatchNorm2d, channels 0-5: running estimates vs its input over the training set")
    for key in ("running_mean", "measured_mean", "running_var", "measured_var"):
        print(f"  {key.replace('_', ' '):<14}" + "".join(f"{v:>9.4f}" for v in results[key][:6]))
    print(f"largest change of one image's scores when predicted alone vs in a batch of 64:\n"
          f"  eval mode {results['eval_mode_batch_effect']:.2e}   "
          f"train mode {results['train_mode_batch_effect']:.2e}")

    if want_plot(args):
        fig, axes = subplots(1, 2, figsize=(10, 4))
        epochs = range(1, args.epochs + 1)
        for i, ((lr, batch_norm), r) in enumerate(results["runs"].items()):
            if r["losses"] is None:
                continue
            style = dict(color=f"C{i // 2}", linestyle="-" if batch_norm else "--", marker="o",
                         label=f"lr={lr:g}, {'with' if batch_norm else 'without'} batch norm")
            axes[0].plot(epochs, r["losses"], **style)
            axes[1].plot(epochs, r["test_accuracies"], **style)
        axes[0].set(xlabel="epoch", ylabel="training loss (mean over the epoch)", yscale="log",
                    title="Same CNN, same start, SGD + momentum")
        axes[1].set(xlabel="epoch", ylabel="test accuracy", title="Test accuracy (eval mode)")
        for ax in axes:  # whole epochs only (no tick at epoch 1.5)
            ax.xaxis.get_major_locator().set_params(integer=True)
        axes[1].legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
