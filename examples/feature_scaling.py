"""Feature scaling: no scaling vs StandardScaler vs MinMaxScaler, with plain SGD.

What it teaches: gradient descent takes one learning rate for every weight.
The digits' pixels range over 0..16, with very different spreads per pixel
(the border pixels are almost always 0) and a large common mean, so without
scaling the loss surface is steep along some directions and flat along
others: a learning rate small enough not to blow up along the steep ones
crawls along the flat ones.  Centering and rescaling each feature to mean 0,
std 1 (``StandardScaler``) makes the directions comparable, so a much larger
learning rate is stable and plain SGD converges much faster.  ``MinMaxScaler``
maps each pixel to [0, 1]; for pixels that all range over 0..16 that is
nearly one common factor 1/16, which mostly just changes the best learning
rate: it does not center the data.

The scalers are fitted on the *training* split only and then applied to both
splits: fitting on the test data would leak its statistics into training.

Comparing at one learning rate would be unfair (scaling changes which rate
works), so each scaling is trained at every rate of ``--lrs`` from the same
initial weights and batches.  The first table shows the final training loss
for each pair (a loss stuck near ln(10) = 2.30 means the network died: too
large a step killed its ReLUs); the second shows each scaling at its own best
learning rate, epoch by epoch, with the test accuracy.

Run (a few seconds on a laptop CPU; writes ``feature_scaling.png`` unless ``--no-plot``)::

    python examples/feature_scaling.py
    python examples/feature_scaling.py --epochs 20 --lrs 0.01 0.1 1 --plot scaling.png
"""
import math

import xpnet
from xpnet import nn, optim
from xpnet.data import (DataLoader, MinMaxScaler, StandardScaler, TensorDataset, load_digits,
                        train_test_split)
from xpnet.train import evaluate, fit

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py

SCALERS = {"none": None, "standard": StandardScaler, "minmax": MinMaxScaler}


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the loss curves (matplotlib)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x, y = load_digits()
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, stratify=y, seed=args.seed)
        xpnet.manual_seed(args.seed)
        initial = make_model().state_dict()  # every run starts from these weights

        results = {}
        for name, scaler_cls in SCALERS.items():
            xs_train, xs_test = x_train, x_test
            if scaler_cls is not None:
                scaler = scaler_cls().fit(x_train)  # training statistics only
                xs_train, xs_test = scaler.transform(x_train), scaler.transform(x_test)
            train_data = TensorDataset(xs_train, y_train)
            test_loader = DataLoader(TensorDataset(xs_test, y_test), batch_size=512)
            runs = {}
            for lr in args.lrs:
                model = make_model()
                model.load_state_dict(initial)
                loader = DataLoader(train_data, batch_size=32, shuffle=True, seed=args.seed)
                try:
                    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr),
                                  loader, epochs=args.epochs, progress=False)
                except FloatingPointError:  # fit stops when the loss becomes NaN or infinite
                    runs[lr] = {"losses": None, "final_loss": math.inf}
                    continue
                test = evaluate(model, test_loader)
                runs[lr] = {"losses": history["loss"], "final_loss": history["loss"][-1],
                            "test_accuracy": test["accuracy"]}
            best = min(runs, key=lambda lr: runs[lr]["final_loss"])
            results[name] = {"runs": runs, "best_lr": best,
                             "feature_range": (float(xs_train.min()), float(xs_train.max()))}

    print(f"plain SGD, batch 32, {args.epochs} epochs: final training loss per learning rate")
    print(f"{'scaling':<10}{'features in':>16}" + "".join(f"{f'lr={lr:g}':>10}" for lr in args.lrs))
    for name, r in results.items():
        lo, hi = r["feature_range"]
        print(f"{name:<10}{f'[{lo:.1f}, {hi:.1f}]':>16}" + "".join(
            f"{r['runs'][lr]['final_loss']:>10.4f}" for lr in args.lrs))
    shown = sorted({0, 1, args.epochs // 2, args.epochs - 1} & set(range(args.epochs)))
    print("\neach scaling at its best learning rate: training loss (mean over the epoch)")
    print(f"{'scaling':<10}{'best lr':>8}" + "".join(f"{f'epoch {e + 1}':>10}" for e in shown)
          + f"{'test acc':>10}")
    for name, r in results.items():
        run = r["runs"][r["best_lr"]]
        print(f"{name:<10}{r['best_lr']:>8g}" + "".join(f"{run['losses'][e]:>10.4f}" for e in shown)
              + f"{run['test_accuracy']:>10.3f}")

    if want_plot(args):
        fig, ax = subplots()
        for name, r in results.items():
            ax.plot(range(1, args.epochs + 1), r["runs"][r["best_lr"]]["losses"], marker="o",
                    label=f"{name} (lr={r['best_lr']:g})")
        ax.set(xlabel="epoch", ylabel="training loss", yscale="log",
               title="Feature scaling, plain SGD at each one's best lr")
        ax.legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
