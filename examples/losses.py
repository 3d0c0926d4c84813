"""Loss functions for classification: cross entropy vs MSE on one-hot vs hinge; BCE for binary.

What it teaches: the loss is what gradient descent minimizes, and the same
network learns differently depending on it.

* ``nn.CrossEntropyLoss`` (log-softmax + negative log-likelihood) compares the
  10 scores with the class index; its gradient ``softmax(z) - onehot(y)`` stays
  large while the prediction is confidently wrong.
* ``nn.MSELoss`` on one-hot targets treats classification as regression to
  0/1 vectors; its gradient ``2 (z - onehot(y)) / (N * 10)`` is small, so with
  plain SGD it learns slower.  Adam divides each gradient coordinate by its
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
values have different scales, so compare the accuracies: the table shows the
final training loss, the test accuracy per epoch (first, middle, last) and the
first epoch that reached ``--target`` test accuracy.

Run (a few seconds on a laptop CPU)::

    python examples/losses.py
    python examples/losses.py --epochs 20 --plot losses.png   # needs matplotlib
"""

import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, StandardScaler, TensorDataset, load_digits, train_test_split
from xpnet.train import predict

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py


# name -> (make the optimizer, its default learning rate)
OPTIMIZERS = {"sgd": lambda params, lr: optim.SGD(params, lr=lr or 0.01, momentum=0.9),
              "adam": lambda params, lr: optim.Adam(params, lr=lr or 1e-3)}


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
    parser = make_parser(__doc__, __file__, plot_help="save test accuracy per epoch")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, default=None, help="default: 0.01 (sgd), 1e-3 (adam)")
    parser.add_argument("--target", type=float, default=0.9, help="test accuracy to reach")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x, y = load_digits()
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, stratify=y, seed=args.seed)
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
        onehot = numpy.eye(10, dtype=numpy.float32)[y_train]  # (N, 10) rows of 0s and one 1
        is_zero = (y_train == 0).astype(numpy.float32)[:, None]  # (N, 1) binary targets
        xt = xpnet.tensor(x_test)

        results = {
            "cross entropy": train(nn.CrossEntropyLoss(), 10, TensorDataset(x_train, y_train),
                                   xt, y_test, args),
            "MSE on one-hot": train(nn.MSELoss(), 10, TensorDataset(x_train, onehot),
                                    xt, y_test, args),
            "multi-margin": train(nn.MultiMarginLoss(), 10, TensorDataset(x_train, y_train),
                                  xt, y_test, args),
            "BCE, 0 vs rest": train(nn.BCEWithLogitsLoss(), 1, TensorDataset(x_train, is_zero),
                                    xt, y_test == 0, args),
        }
        results["BCE, 0 vs rest"]["baseline"] = float((y_test != 0).mean())  # always "not 0"

    shown = sorted({0, args.epochs // 2, args.epochs - 1})
    print(f"{'loss':<16}{'final loss':>11}" + "".join(f"{f'acc@{e + 1}':>9}" for e in shown)
          + f"{f'epoch to {args.target:g}':>14}")
    for name, r in results.items():
        reached = next((e + 1 for e, a in enumerate(r["test_accuracies"]) if a >= args.target), None)
        r["epoch_to_target"] = reached
        print(f"{name:<16}{r['losses'][-1]:>11.4f}"
              + "".join(f"{r['test_accuracies'][e]:>9.3f}" for e in shown)
              + f"{'never' if reached is None else reached:>14}")
    print(f"(binary baseline, always answering 'not a 0': "
          f"{results['BCE, 0 vs rest']['baseline']:.3f})")

    if want_plot(args):
        fig, ax = subplots()
        for name, r in results.items():
            ax.plot(range(1, args.epochs + 1), r["test_accuracies"], marker="o", label=name)
        ax.set(xlabel="epoch", ylabel="test accuracy",
               title=f"Loss functions, same MLP and optimizer ({args.optimizer})")
        ax.legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
