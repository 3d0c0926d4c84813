"""Optimizers compared: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam and AdamW.

What it teaches: the same MLP, started from the *same* initial weights and fed
the *same* mini-batches, trains at very different speeds depending only on the
update rule.  Plain SGD takes a step ``-lr * g``; momentum and Nesterov
accumulate a velocity; AdaGrad and RMSProp divide by a running size of each
gradient coordinate; Adam does both (with bias correction); AdamW adds
decoupled weight decay, which keeps the weights smaller (column ``|w|``, the
L2 norm of all parameters).  The table shows the training loss at the first,
middle and last epoch, and the final test accuracy.

Run (a few seconds on a laptop CPU; writes ``optimizers.png`` unless ``--no-plot``)::

    python examples/optimizers.py
    python examples/optimizers.py --epochs 20 --plot optimizers.png
    XPNET_BACKEND=cupy python examples/optimizers.py   # on an NVIDIA GPU
"""

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate, fit

from _common import (make_parser, parse, save_figure, standardized_digits, subplots,  # examples/_common.py
                     want_plot)

# name -> how to build the optimizer for a model's parameters.  The learning
# rates are the usual starting points for each rule (PyTorch's defaults for the
# adaptive ones), not tuned for this data set.
OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.01),
    "SGD+momentum": lambda params: optim.SGD(params, lr=0.01, momentum=0.9),
    "Nesterov": lambda params: optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.01),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.001),
    "Adam": lambda params: optim.Adam(params, lr=0.001),
    "AdamW": lambda params: optim.AdamW(params, lr=0.001, weight_decay=0.1),
}


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the loss curves (matplotlib)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=OPTIMIZERS)
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = standardized_digits(args.seed)
        train_data = TensorDataset(x_train, y_train)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)

        xpnet.manual_seed(args.seed)
        initial = make_model().state_dict()  # every optimizer starts from these weights

        results = {}
        for name in args.optimizers:
            model = make_model()
            model.load_state_dict(initial)
            # the same seed gives every run the same sequence of shuffled batches
            loader = DataLoader(train_data, batch_size=args.batch_size, shuffle=True,
                                seed=args.seed)
            history = fit(model, nn.CrossEntropyLoss(), OPTIMIZERS[name](model.parameters()),
                          loader, epochs=args.epochs, progress=False)
            test = evaluate(model, test_loader)
            # the L2 norm of all weights: weight decay (AdamW) keeps it smaller
            weight_norm = sum((p * p).sum().item() for p in model.parameters()) ** 0.5
            results[name] = {"losses": history["loss"], "test_accuracy": test["accuracy"],
                             "weight_norm": weight_norm, "seconds": sum(history["seconds"])}

    shown = sorted({0, args.epochs // 2, args.epochs - 1})  # first, middle and last epoch
    print(f"{'optimizer':<14}" + "".join(f"{f'loss@{e + 1}':>10}" for e in shown)
          + f"{'test acc':>10}{'|w|':>8}{'time':>8}")
    for name, r in results.items():
        print(f"{name:<14}" + "".join(f"{r['losses'][e]:>10.4f}" for e in shown)
              + f"{r['test_accuracy']:>10.3f}{r['weight_norm']:>8.2f}{r['seconds']:>7.1f}s")

    if want_plot(args):
        fig, ax = subplots(figsize=(7.5, 4))
        for name, r in results.items():
            # dashed: the variants that nearly coincide with the rule before them
            ax.plot(range(1, args.epochs + 1), r["losses"], marker="o", label=name,
                    linestyle="--" if name in ("Nesterov", "AdamW") else "-")
        ax.set(xlabel="epoch", ylabel="training loss (mean over the epoch)", yscale="log",
               title="Optimizers on the digits MLP")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the curves, never on them
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
