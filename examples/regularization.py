"""Regularization: dropout and weight decay against overfitting a small, noisy training set.

What it teaches: a network with many more weights than training samples can
memorize them, even when they are wrong: the training loss goes to 0 while the
test loss stops improving and then grows (overfitting).  Regularization trades
training fit for a smaller train/test gap:

* ``nn.Dropout(p)`` zeroes each hidden unit with probability ``p`` during
  training (and rescales the rest by ``1/(1-p)``), so no unit can rely on
  another; ``model.eval()`` switches it off for evaluation;
* weight decay (``optim.AdamW(weight_decay=wd)``) shrinks every weight by the
  factor ``1 - lr * wd`` at each step, preferring small, smooth solutions
  (with only a few hundred steps, as here, ``wd`` must be large to matter).

The digits are easy, so to make overfitting visible the MLP is trained on only
``--train-size`` samples of which a fraction ``--label-noise`` have a wrong
label (the test labels stay correct): memorizing those wrong labels can only
hurt on the test set.  The table shows, after the last epoch and in eval mode,
the loss and accuracy on the (noisy) training subset and on the test set, and
the gaps (test loss - train loss, train acc - test acc).  Too much
regularization (both at once, here) underfits: the gap closes, but the test
accuracy drops again.

Run (a few seconds on a laptop CPU)::

    python examples/regularization.py
    python examples/regularization.py --label-noise 0 --plot regularization.png
"""

import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, StandardScaler, TensorDataset, load_digits, train_test_split
from xpnet.train import evaluate, fit

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py

# name -> (dropout probability, weight decay)
CONFIGS = {"none": (0.0, 0.0), "dropout": (0.5, 0.0), "weight decay": (0.0, 5.0),
           "both": (0.5, 5.0)}


def with_label_noise(y, fraction, seed):
    """A copy of ``y`` in which ``fraction`` of the labels are changed to a different class."""
    rng = numpy.random.default_rng(seed)
    y = y.copy()
    wrong = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    y[wrong] = (y[wrong] + rng.integers(1, 10, size=len(wrong))) % 10  # never the true class
    return y


def make_model(p, hidden=128):
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the test-loss curves")
    parser.add_argument("--train-size", type=int, default=200)
    parser.add_argument("--label-noise", type=float, default=0.3,
                        help="fraction of training labels made wrong")
    parser.add_argument("--epochs", type=int, default=40)
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x, y = load_digits()
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=450, stratify=y, seed=args.seed)
        x_train = x_train[:args.train_size]  # a small subset, with some wrong labels
        y_train = with_label_noise(y_train[:args.train_size], args.label_noise, args.seed)
        scaler = StandardScaler().fit(x_train)
        train_data = TensorDataset(scaler.transform(x_train), y_train)
        test_loader = DataLoader(TensorDataset(scaler.transform(x_test), y_test), batch_size=512)
        train_eval = DataLoader(train_data, batch_size=512)
        loss_fn = nn.CrossEntropyLoss()

        results = {}
        for name, (p, weight_decay) in CONFIGS.items():
            xpnet.manual_seed(args.seed)  # the same initial weights for every config
            model = make_model(p)
            opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=weight_decay)
            loader = DataLoader(train_data, batch_size=32, shuffle=True, seed=args.seed)
            history = fit(model, loss_fn, opt, loader, epochs=args.epochs, val_loader=test_loader,
                          progress=False)
            train = evaluate(model, train_eval, loss_fn)  # eval mode: dropout off
            test = evaluate(model, test_loader, loss_fn)
            results[name] = {
                "train_loss": train["loss"], "test_loss": test["loss"],
                "train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                "loss_gap": test["loss"] - train["loss"],
                "accuracy_gap": train["accuracy"] - test["accuracy"],
                "test_losses": history["val_loss"]}

    print(f"{args.train_size} training samples ({args.label_noise:.0%} with wrong labels), "
          f"{args.epochs} epochs of AdamW(lr=1e-3); dropout p and weight decay wd:")
    print(f"{'config':<24}{'train loss':>11}{'test loss':>11}{'loss gap':>10}"
          f"{'train acc':>11}{'test acc':>10}{'acc gap':>9}")
    for name, r in results.items():
        p, wd = CONFIGS[name]
        print(f"{f'{name} (p={p:g}, wd={wd:g})':<24}{r['train_loss']:>11.4f}{r['test_loss']:>11.4f}{r['loss_gap']:>10.4f}"
              f"{r['train_accuracy']:>11.3f}{r['test_accuracy']:>10.3f}{r['accuracy_gap']:>9.3f}")

    if want_plot(args):
        fig, ax = subplots()
        for name, r in results.items():
            ax.plot(range(1, args.epochs + 1), r["test_losses"], label=name)
        ax.set(xlabel="epoch", ylabel="test loss", title="Overfitting a small training set")
        ax.legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
