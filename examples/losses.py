"""Loss functions: MSE vs MAE vs Huber with outliers; cross entropy vs MSE on one-hot vs hinge.

What it teaches: the loss is what gradient descent minimizes, and the same
model learns differently depending on it.

Regression with outliers: a line ``y = 2x + 1`` plus small noise, where a
fraction ``--outliers`` of the points with ``x > 0`` read 10 too low (a
faulty sensor).  The same ``nn.Linear(1, 1)`` is fitted by full-batch Adam to

* ``nn.MSELoss``, the mean of ``(f(x) - y)^2``: an outlier's pull on the fit
  grows with its distance, so a few bad points tilt the whole line;
* ``nn.L1Loss`` (MAE), the mean of ``|f(x) - y|``: every point pulls with the
  same force, so the fit follows the majority (a median-like line);
* ``nn.HuberLoss(delta=1)``: quadratic for errors below ``delta`` (smooth
  near the optimum, like MSE) and linear above (robust, like MAE).

The first table shows the fitted slope and intercept and the mean distance
between the fitted line and the true one over the data.

Classification on the digits:

* ``nn.CrossEntropyLoss`` (log-softmax + negative log-likelihood) compares the
  10 scores with the class index; its gradient ``softmax(z) - onehot(y)`` stays
  large while the prediction is confidently wrong.
* ``nn.MSELoss`` on one-hot targets treats classification as regression to
  0/1 vectors; its gradient ``2 (z - onehot(y)) / (N * 10)`` is small, so with
  SGD (momentum 0.9, the default ``--optimizer sgd``) it learns slower.  Adam divides each gradient coordinate by its
  running size, so the scale of the loss hardly matters to it: with
  ``--optimizer adam`` the gap disappears (try it).  MSE also pulls scores
  that are "too right" back to exactly 1.
* ``nn.MultiMarginLoss`` (multi-class hinge, as in an SVM) wants the true score
  to beat every other by a margin of 1 and ignores samples that already do.
* ``nn.BCEWithLogitsLoss`` for a binary task (is it a 0?) with one output per
  sample; it folds the sigmoid into the loss, which is numerically stable.
  About 10% of the digits are zeros, so "always no" is already 90% accurate:
  compare with that baseline.

The same initial weights, batches and optimizer (SGD with momentum) for every loss.  Loss
values have different scales, so compare the accuracies: the second table shows the
final training loss, the test accuracy per epoch (first, middle, last) and the
first epoch that reached ``--target`` test accuracy.

Run (a few seconds on a laptop CPU; writes ``losses.png`` unless ``--no-plot``)::

    python examples/losses.py
    python examples/losses.py --epochs 20 --outliers 0.3 --plot losses.png
"""

import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import predict

from _common import (make_parser, parse, save_figure, standardized_digits, subplots,  # examples/_common.py
                     want_plot)


# name -> (make the optimizer, its default learning rate)
OPTIMIZERS = {"sgd": lambda params, lr: optim.SGD(params, lr=lr or 0.01, momentum=0.9),
              "adam": lambda params, lr: optim.Adam(params, lr=lr or 1e-3)}


TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0
REGRESSION_LOSSES = {"MSE": nn.MSELoss(), "MAE (L1)": nn.L1Loss(),
                     "Huber (delta=1)": nn.HuberLoss(delta=1.0)}


def line_with_outliers(n, fraction, seed):
    """``n`` points of ``y = 2x + 1 + noise``; ``fraction`` of those with ``x > 0`` read 10 too low."""
    rng = numpy.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 1)).astype(numpy.float32)
    y = (TRUE_SLOPE * x + TRUE_INTERCEPT + 0.3 * rng.standard_normal((n, 1))).astype(numpy.float32)
    right = numpy.flatnonzero(x[:, 0] > 0)
    outliers = rng.choice(right, size=round(fraction * len(right)), replace=False)
    y[outliers] -= 10.0
    return x, y, outliers


def fit_line(loss_fn, x, y, steps, seed):
    """Fit ``nn.Linear(1, 1)`` to ``(x, y)`` by ``steps`` full-batch Adam steps; (slope, intercept)."""
    xpnet.manual_seed(seed)  # the same starting line for every loss
    line = nn.Linear(1, 1)
    opt = optim.Adam(line.parameters(), lr=0.05)
    xt, yt = xpnet.tensor(x), xpnet.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(line(xt), yt).backward()
        opt.step()
    return line.weight.item(), line.bias.item()


def accuracy(scores, labels):
    """Fraction correct: the argmax of 10 scores, or the sign of one logit for a binary task."""
    scores = scores.numpy()
    guess = scores.argmax(axis=1) if scores.shape[1] > 1 else (scores[:, 0] > 0)
    return float((guess == labels).mean())


def train(loss_fn, outputs, data, x_test, labels_test, args):
    """Train a fresh MLP with ``loss_fn``; the dataset's last field is what the loss compares with."""
    xpnet.manual_seed(args.seed)  # the same initial weights for every loss (with the same outputs)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, outputs))
    opt = OPTIMIZERS[args.optimizer](model.parameters(), args.lr)
    loader = DataLoader(data, batch_size=32, shuffle=True, seed=args.seed)
    losses, accuracies = [], []
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for xb, target in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), target)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        losses.append(total / len(data))
        accuracies.append(accuracy(predict(model, x_test), labels_test))
    return {"losses": losses, "test_accuracies": accuracies}


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the fitted lines and test accuracies")
    parser.add_argument("--outliers", type=float, default=0.2,
                        help="fraction of the points with x > 0 that read 10 too low")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--steps", type=int, default=300, help="Adam steps for each line")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, default=None, help="default: 0.01 (sgd), 1e-3 (adam)")
    parser.add_argument("--target", type=float, default=0.9, help="test accuracy to reach")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        xr, yr, outliers = line_with_outliers(args.points, args.outliers, args.seed)
        regression = {}
        for name, loss_fn in REGRESSION_LOSSES.items():
            slope, intercept = fit_line(loss_fn, xr, yr, args.steps, args.seed)
            # mean |fitted line - true line| over the data's x
            error = numpy.abs((slope - TRUE_SLOPE) * xr + (intercept - TRUE_INTERCEPT)).mean()
            regression[name] = {"slope": slope, "intercept": intercept, "line_error": float(error)}

        x_train, y_train, x_test, y_test = standardized_digits(args.seed)
        onehot = numpy.eye(10, dtype=numpy.float32)[y_train]  # (N, 10) rows of 0s and one 1
        is_zero = (y_train == 0).astype(numpy.float32)[:, None]  # (N, 1) binary targets
        xt = xpnet.tensor(x_test)

        classification = {
            "cross entropy": train(nn.CrossEntropyLoss(), 10, TensorDataset(x_train, y_train),
                                   xt, y_test, args),
            "MSE on one-hot": train(nn.MSELoss(), 10, TensorDataset(x_train, onehot),
                                    xt, y_test, args),
            "multi-margin": train(nn.MultiMarginLoss(), 10, TensorDataset(x_train, y_train),
                                  xt, y_test, args),
            "BCE, 0 vs rest": train(nn.BCEWithLogitsLoss(), 1, TensorDataset(x_train, is_zero),
                                    xt, y_test == 0, args),
        }
        classification["BCE, 0 vs rest"]["baseline"] = float((y_test != 0).mean())  # always "not 0"

    print(f"regression: {args.points} points of y = {TRUE_SLOPE:g}x + {TRUE_INTERCEPT:g} + noise, "
          f"{len(outliers)} outliers (10 too low, x > 0); {args.steps} Adam steps")
    print(f"{'loss':<17}{'slope':>8}{'intercept':>11}{'line error':>12}")
    print(f"{'(true line)':<17}{TRUE_SLOPE:>8.3f}{TRUE_INTERCEPT:>11.3f}{0:>12.3f}")
    for name, r in regression.items():
        print(f"{name:<17}{r['slope']:>8.3f}{r['intercept']:>11.3f}{r['line_error']:>12.3f}")

    shown = sorted({0, args.epochs // 2, args.epochs - 1})
    print(f"\nclassification of the digits, {args.optimizer}, {args.epochs} epochs")
    print(f"{'loss':<16}{'final loss':>11}" + "".join(f"{f'acc@{e + 1}':>9}" for e in shown)
          + f"{f'epoch to {args.target:g}':>14}")
    for name, r in classification.items():
        reached = next((e + 1 for e, a in enumerate(r["test_accuracies"]) if a >= args.target), None)
        r["epoch_to_target"] = reached
        print(f"{name:<16}{r['losses'][-1]:>11.4f}"
              + "".join(f"{r['test_accuracies'][e]:>9.3f}" for e in shown)
              + f"{'never' if reached is None else reached:>14}")
    print(f"(binary baseline, always answering 'not a 0': "
          f"{classification['BCE, 0 vs rest']['baseline']:.3f})")

    if want_plot(args):
        fig, axes = subplots(1, 2, figsize=(11, 4.5))
        inlier = numpy.ones(len(xr), dtype=bool)
        inlier[outliers] = False
        axes[0].scatter(xr[inlier, 0], yr[inlier, 0], s=8, color="gray", label="data")
        axes[0].scatter(xr[~inlier, 0], yr[~inlier, 0], s=12, color="black", marker="x",
                        label="outliers")
        grid = numpy.array([-2.0, 2.0])
        axes[0].plot(grid, TRUE_SLOPE * grid + TRUE_INTERCEPT, color="black", linestyle=":",
                     label="true line")
        for name, r in regression.items():
            axes[0].plot(grid, r["slope"] * grid + r["intercept"], label=f"{name} fit")
        axes[0].set(xlabel="x", ylabel="y", title="Regression with outliers")
        axes[0].legend(fontsize="small")
        for name, r in classification.items():
            axes[1].plot(range(1, args.epochs + 1), r["test_accuracies"], marker="o", label=name)
        axes[1].set(xlabel="epoch", ylabel="test accuracy",
                    title=f"Classification, same MLP and optimizer ({args.optimizer})")
        axes[1].legend(fontsize="small")
        save_figure(fig, args.plot)
    return {"regression": regression, "classification": classification}


if __name__ == "__main__":
    main()
