"""Architecture: how the depth and width of an MLP change its size and its train/test accuracy.

What it teaches: the number of weights of an MLP grows linearly with its
depth (hidden layers) but quadratically with its width (units per layer):
a hidden ``Linear(w, w)`` has ``w*w + w`` parameters.  More parameters mean
more capacity, but capacity is only useful up to what the data needs:

* too narrow (a few units) underfits: even the training accuracy stays low,
  and no amount of depth makes up for it (every layer squeezes the signal
  through the same few units);
* enough width fits the training set; beyond that, more width or depth adds
  parameters and time per step but little or no test accuracy on these small
  8x8 digits;
* depth 0 is a linear model (multinomial logistic regression), a strong
  baseline here.

Every MLP (ReLU, Kaiming-uniform init as ``nn.Linear``'s default) is trained
with the same optimizer (Adam, ``lr=1e-3``), batches and number of epochs for
each depth in ``--depths`` and width in ``--widths``.  The table shows the
parameter count, the final train and test accuracy (eval mode) and the
seconds per epoch.

Run (a few seconds on a laptop CPU; writes ``architecture.png`` unless ``--no-plot``)::

    python examples/architecture.py
    python examples/architecture.py --depths 1 3 --widths 8 512 --epochs 20 --plot arch.png   # slower
"""
import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate, fit

from _common import (make_parser, parse, save_figure, standardized_digits, subplots,  # examples/_common.py
                     want_plot)


def make_mlp(depth, width):
    """``depth`` hidden layers of ``width`` ReLU units between the 64 inputs and 10 outputs."""
    layers, size = [], 64
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, 10))


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save accuracy against parameter count")
    parser.add_argument("--depths", type=int, nargs="+", default=[0, 1, 2, 4],
                        help="numbers of hidden layers (0: a linear model)")
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 8, 32, 128])
    parser.add_argument("--epochs", type=int, default=10)
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = standardized_digits(args.seed)
        train_data = TensorDataset(x_train, y_train)
        train_eval = DataLoader(train_data, batch_size=512)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)

        results = {}
        # depth 0 has no width: one linear model, listed once
        shapes = [(d, w) for d in args.depths for w in (args.widths if d else [0])]
        for depth, width in shapes:
            xpnet.manual_seed(args.seed)
            model = make_mlp(depth, width)
            loader = DataLoader(train_data, batch_size=32, shuffle=True, seed=args.seed)
            history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                          loader, epochs=args.epochs, progress=False)
            results[(depth, width)] = {
                "parameters": count_parameters(model),
                "train_accuracy": evaluate(model, train_eval)["accuracy"],
                "test_accuracy": evaluate(model, test_loader)["accuracy"],
                "seconds_per_epoch": sum(history["seconds"]) / args.epochs}

    print(f"MLPs on {len(train_data)} training digits, Adam(lr=1e-3), {args.epochs} epochs")
    print(f"{'depth':>5}{'width':>7}{'parameters':>12}{'train acc':>11}{'test acc':>10}"
          f"{'s/epoch':>9}")
    for (depth, width), r in results.items():
        print(f"{depth:>5}{width or '-':>7}{r['parameters']:>12,}{r['train_accuracy']:>11.3f}"
              f"{r['test_accuracy']:>10.3f}{r['seconds_per_epoch']:>9.3f}")

    if want_plot(args):
        fig, axes = subplots(1, 2, figsize=(11, 4.5))
        for i, depth in enumerate(args.depths):
            keys = [k for k in results if k[0] == depth]
            test = [results[k]["test_accuracy"] for k in keys]
            if depth == 0:  # no width: a horizontal line on the left
                axes[0].axhline(test[0], color=f"C{i}", linestyle=":", label="depth 0 (linear): test")
            else:
                axes[0].plot(args.widths, test, marker="o", color=f"C{i}", label=f"depth {depth}: test")
                axes[0].plot(args.widths, [results[k]["train_accuracy"] for k in keys], marker="x",
                             linestyle="--", color=f"C{i}", label=f"depth {depth}: train")
            axes[1].plot([results[k]["parameters"] for k in keys], test, marker="o", color=f"C{i}",
                         label=f"depth {depth}" if depth else "depth 0 (linear)")
        axes[0].set(xscale="log", xticks=args.widths, xticklabels=args.widths,
                    xlabel="width: units per hidden layer (log)", ylabel="accuracy (eval mode)",
                    title="Accuracy by width, one line per depth")
        axes[0].legend(fontsize="small", ncol=2)
        axes[1].set(xscale="log", xlabel="number of parameters (log)", ylabel="test accuracy",
                    title="Test accuracy by model size")
        axes[1].legend(fontsize="small")
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
