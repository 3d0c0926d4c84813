"""Batch, mini-batch and stochastic gradient descent: one loop, three batch sizes.

What it teaches: the three classic variants of gradient descent are the *same*
training loop over the same ``DataLoader``; only ``batch_size`` differs:

* batch gradient descent      ``batch_size=len(data)``: 1 update per epoch, exact gradient;
* mini-batch gradient descent ``batch_size=n`` (here 32): ``ceil(N / n)`` updates per epoch;
* stochastic gradient descent ``batch_size=1``: ``N`` updates per epoch, noisiest gradient.

Every epoch sees each training sample exactly once in all three.  With the same
learning rate and number of epochs, more (noisier) updates lower the loss far
more per epoch, but each update has a fixed cost, so ``batch_size=1`` is the
slowest per epoch in wall time.  The table shows updates per epoch, wall time
(total and per update) and the loss on the whole training set after the last epoch.

Run (a few seconds on a laptop CPU; writes ``batch_sizes.png`` unless ``--no-plot``)::

    python examples/batch_sizes.py
    python examples/batch_sizes.py --epochs 3 --plot batch_sizes.png
"""
import time

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate

from _common import (make_parser, parse, save_figure, standardized_digits, subplots,  # examples/_common.py
                     want_plot)


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the loss curves (matplotlib)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--mini-batch", type=int, default=32, help="the mini-batch size n")
    parser.add_argument("--train-size", type=int, default=None,
                        help="use only this many training samples (faster)")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = standardized_digits(args.seed, train_size=args.train_size)
        train_data = TensorDataset(x_train, y_train)
        train_eval = DataLoader(train_data, batch_size=512)  # to measure the loss on all of it
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)
        loss_fn = nn.CrossEntropyLoss()
        n = len(train_data)

        xpnet.manual_seed(args.seed)
        initial = make_model().state_dict()  # every run starts from these weights

        results = {}
        for name, batch_size in [("batch GD", n), ("mini-batch GD", args.mini_batch),
                                 ("stochastic GD", 1)]:
            model = make_model()
            model.load_state_dict(initial)
            opt = optim.SGD(model.parameters(), lr=args.lr)
            loader = DataLoader(train_data, batch_size=batch_size, shuffle=True, seed=args.seed)
            losses, updates, seconds = [], 0, 0.0
            for epoch in range(args.epochs):
                model.train()
                start = time.perf_counter()
                for xb, yb in loader:  # the whole difference is in how many batches this yields
                    opt.zero_grad()
                    loss_fn(model(xb), yb).backward()
                    opt.step()
                    updates += 1
                seconds += time.perf_counter() - start  # training time only, not the evaluation
                losses.append(evaluate(model, train_eval, loss_fn)["loss"])
            results[name] = {
                "batch_size": batch_size, "updates_per_epoch": updates // args.epochs,
                "losses": losses, "seconds": seconds,
                "test_accuracy": evaluate(model, test_loader)["accuracy"]}

    print(f"N = {n} training samples, {args.epochs} epochs, SGD lr={args.lr}")
    print(f"{'method':<15}{'batch':>7}{'updates/epoch':>15}{'time':>8}{'ms/update':>11}"
          f"{'train loss':>12}{'test acc':>10}")
    for name, r in results.items():
        per_update = 1000 * r["seconds"] / (r["updates_per_epoch"] * args.epochs)
        print(f"{name:<15}{r['batch_size']:>7}{r['updates_per_epoch']:>15}{r['seconds']:>7.1f}s"
              f"{per_update:>11.2f}{r['losses'][-1]:>12.4f}{r['test_accuracy']:>10.3f}")

    if want_plot(args):
        fig, ax = subplots()
        for name, r in results.items():
            updates = [r["updates_per_epoch"] * (e + 1) for e in range(args.epochs)]
            ax.plot(updates, r["losses"], marker="o", label=f"{name} (batch {r['batch_size']})")
        ax.set(xscale="log", xlabel="number of updates (log)", ylabel="training loss",
               title="Same epochs, different number of updates")
        ax.legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
