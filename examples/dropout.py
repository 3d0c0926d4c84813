"""Dropout: overfitting a small, noisy training set with and without it.

What it teaches: a network with many more weights than training samples can
memorize them, even when they are wrong: the training accuracy goes to 1
while the test loss stops improving and then grows (overfitting).
``nn.Dropout(p)`` zeroes each hidden unit with probability ``p`` during
training (and multiplies the others by ``1/(1-p)``, so their expected sum is
unchanged), so no unit can rely on particular others and the network cannot
memorize as easily; ``model.eval()`` switches it off for evaluation (here
``evaluate`` does that).  Too much dropout underfits: the gap closes, but the
test accuracy drops again.

The digits are easy, so to make overfitting visible the MLP is trained on only
``--train-size`` samples of which a fraction ``--label-noise`` have a wrong
label (the test labels stay correct): memorizing those wrong labels can only
hurt on the test set.  For each dropout probability of ``--ps``, from the same
initial weights and batches, the table shows after the last epoch (in eval
mode) the loss and accuracy on the noisy training subset and on the test set,
and the gaps (test loss - train loss, train acc - test acc).

Run (a few seconds on a laptop CPU; writes ``dropout.png`` unless ``--no-plot``)::

    python examples/dropout.py
    python examples/dropout.py --label-noise 0 --ps 0 0.5 --plot dropout.png
"""
import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate, fit

from _common import (add_noisy_data_options, make_parser, parse, save_figure, small_noisy_digits, subplots,  # examples/_common.py
                     want_plot)


def make_model(p, hidden=128):
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the test-loss curves and accuracies")
    add_noisy_data_options(parser)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--ps", type=float, nargs="+", default=[0.0, 0.2, 0.5, 0.8],
                        help="dropout probabilities to compare")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = small_noisy_digits(args)
        train_data = TensorDataset(x_train, y_train)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)
        train_eval = DataLoader(train_data, batch_size=512)
        loss_fn = nn.CrossEntropyLoss()

        results = {}
        for p in args.ps:
            xpnet.manual_seed(args.seed)  # the same initial weights for every p
            model = make_model(p)
            opt = optim.Adam(model.parameters(), lr=1e-3)
            loader = DataLoader(train_data, batch_size=32, shuffle=True, seed=args.seed)
            history = fit(model, loss_fn, opt, loader, epochs=args.epochs, val_loader=test_loader,
                          progress=False)
            train = evaluate(model, train_eval, loss_fn)  # eval mode: dropout off
            test = evaluate(model, test_loader, loss_fn)
            results[p] = {
                "train_loss": train["loss"], "test_loss": test["loss"],
                "train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                "loss_gap": test["loss"] - train["loss"],
                "accuracy_gap": train["accuracy"] - test["accuracy"],
                "test_losses": history["val_loss"]}

    print(f"{args.train_size} training samples ({args.label_noise:.0%} with wrong labels), "
          f"{args.epochs} epochs of Adam(lr=1e-3), after the last epoch (eval mode):")
    print(f"{'dropout p':<10}{'train loss':>11}{'test loss':>11}{'loss gap':>10}"
          f"{'train acc':>11}{'test acc':>10}{'acc gap':>9}")
    for p, r in results.items():
        print(f"{p:<10g}{r['train_loss']:>11.4f}{r['test_loss']:>11.4f}{r['loss_gap']:>10.4f}"
              f"{r['train_accuracy']:>11.3f}{r['test_accuracy']:>10.3f}{r['accuracy_gap']:>9.3f}")

    if want_plot(args):
        fig, axes = subplots(1, 2, figsize=(10, 4))
        for p, r in results.items():
            axes[0].plot(range(1, args.epochs + 1), r["test_losses"], label=f"p={p:g}")
        axes[0].set(xlabel="epoch", ylabel="test loss", title="Test loss while training")
        axes[0].legend()
        ps = list(results)
        for key, label in (("train_accuracy", "train (noisy labels)"), ("test_accuracy", "test")):
            axes[1].plot(ps, [results[p][key] for p in ps], marker="o", label=label)
        axes[1].set(xlabel="dropout probability p", ylabel="accuracy after the last epoch",
                    title="Train vs test accuracy (eval mode)", xticks=ps)
        axes[1].legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
