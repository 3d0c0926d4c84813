"""Weight decay: L2 regularization in SGD and Adam vs decoupled weight decay (AdamW).

What it teaches: weight decay pulls every weight towards 0 at each step, so
the network prefers small weights and fits the noise in a small training set
less.  There are two ways to do it, and they differ for adaptive optimizers:

* L2 regularization (``optim.SGD(weight_decay=wd)``, ``optim.Adam(weight_decay=wd)``)
  adds ``wd * w`` to the gradient, as if the loss had a term ``wd/2 ||w||^2``.
  For SGD that shrinks each weight by ``lr * wd * w`` per step.  Adam,
  however, divides the whole gradient, decay included, by the running size of
  each weight's gradient ``sqrt(v)``: weights with large gradients are hardly
  decayed, weights with small ones are decayed hard;
* decoupled weight decay (``optim.AdamW(weight_decay=wd)``, Loshchilov & Hutter)
  shrinks every weight by the factor ``1 - lr * wd`` per step, outside Adam's
  rescaling, the same for all.

The MLP is trained on only ``--train-size`` digits of which a fraction
``--label-noise`` have a wrong label (the test labels are right), so that
without regularization it memorizes the wrong labels and does worse on the
test set (overfitting).  Each rule is trained at every ``wd`` of ``--wds``
from the same initial weights and batches.  The first table shows each rule
without decay and at its best ``wd``: the accuracies, the train-test gap and
the weight norm.  The second shows, for the Adam runs, how much the
first-layer weights shrank (mean |w| with decay / without), in four groups by
the size of their gradient (Adam's ``sqrt(exp_avg_sq)`` at the end of the run
without decay): L2 in Adam shrinks the weights with small gradients many
times more than those with large ones, AdamW shrinks all groups alike.

Run (the slowest example, 27 training runs: under a minute on 2 CPU cores; writes
``weight_decay.png`` unless ``--no-plot``)::

    python examples/weight_decay.py
    python examples/weight_decay.py --label-noise 0 --plot wd.png
"""
import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate, fit

from _common import (add_noisy_data_options, make_parser, parse, save_figure, small_noisy_digits, subplots,  # examples/_common.py
                     want_plot)

# name -> (optimizer class, learning rate): L2 (coupled) in SGD and Adam, decoupled in AdamW
RULES = {"SGD + L2": (optim.SGD, 0.01), "Adam + L2": (optim.Adam, 1e-3),
         "AdamW": (optim.AdamW, 1e-3)}


def make_optimizer(rule, params, weight_decay):
    cls, lr = RULES[rule]
    extra = {"momentum": 0.9} if cls is optim.SGD else {}
    return cls(params, lr=lr, weight_decay=weight_decay, **extra)


def make_model(hidden=128):
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def train(rule, weight_decay, train_data, train_eval, test_loader, args):
    """One run from the seed's initial weights; returns the model, its optimizer and its scores."""
    xpnet.manual_seed(args.seed)
    model = make_model()
    opt = make_optimizer(rule, model.parameters(), weight_decay)
    loader = DataLoader(train_data, batch_size=32, shuffle=True, seed=args.seed)
    fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=args.epochs, progress=False)
    train, test = evaluate(model, train_eval), evaluate(model, test_loader)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    return model, opt, {"train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                        "gap": train["accuracy"] - test["accuracy"],
                        "weight_norm": sum((w * w).sum().item() for w in weights) ** 0.5}


def shrinkage_by_gradient_size(initial, decayed, grad_size, groups=4):
    """Mean |w| of ``decayed`` / of ``initial`` in ``groups`` equal groups of weights by ``grad_size``."""
    order = numpy.argsort(grad_size.ravel())
    initial, decayed = numpy.abs(initial.ravel()), numpy.abs(decayed.ravel())
    return [float(decayed[i].mean() / initial[i].mean()) for i in numpy.array_split(order, groups)]


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save test accuracy against weight decay")
    add_noisy_data_options(parser)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--wds", type=float, nargs="+",
                        default=[1e-3, 0.01, 0.03, 0.1, 1.0, 3.0, 10.0, 30.0])
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = small_noisy_digits(args)
        train_data = TensorDataset(x_train, y_train)
        data = (train_data, DataLoader(train_data, batch_size=512),
                DataLoader(TensorDataset(x_test, y_test), batch_size=512), args)

        results = {}
        for rule in RULES:
            model, opt, scores = train(rule, 0.0, *data)
            runs = {0.0: scores}
            if rule == "Adam + L2":  # the undecayed Adam run: reference weights and gradient sizes
                weight = model[0].weight
                plain = weight.numpy()
                # Adam's running mean of the squared gradient (a raw array of the backend)
                grad_size = numpy.sqrt(weight.backend.to_numpy(opt.state[weight]["exp_avg_sq"]))
            decayed = {}
            for wd in args.wds:
                model, _, runs[wd] = train(rule, wd, *data)
                decayed[wd] = model[0].weight.numpy()
            best = max(args.wds, key=lambda wd: runs[wd]["test_accuracy"])
            results[rule] = {"runs": runs, "best_wd": best}
            if rule in ("Adam + L2", "AdamW"):  # after the undecayed Adam run (RULES' order)
                results[rule]["shrinkage"] = shrinkage_by_gradient_size(plain, decayed[best],
                                                                        grad_size)

    print(f"{args.train_size} training samples ({args.label_noise:.0%} with wrong labels), "
          f"{args.epochs} epochs; each rule without decay and at its best wd of {args.wds}")
    print(f"{'rule':<11}{'wd':>7}{'train acc':>11}{'test acc':>10}{'gap':>8}{'|w|':>8}")
    for rule, r in results.items():
        for wd in (0.0, r["best_wd"]):
            s = r["runs"][wd]
            print(f"{rule:<11}{wd:>7g}{s['train_accuracy']:>11.3f}{s['test_accuracy']:>10.3f}"
                  f"{s['gap']:>8.3f}{s['weight_norm']:>8.2f}")
    print("\nfirst-layer weights at the best wd: mean |w| with decay / without, by gradient size")
    print(f"{'rule':<11}" + "".join(f"{f'quarter {i + 1}':>11}" for i in range(4))
          + "   (1 = smallest gradients)")
    for rule in ("Adam + L2", "AdamW"):
        print(f"{rule:<11}" + "".join(f"{v:>11.3f}" for v in results[rule]["shrinkage"]))

    if want_plot(args):
        fig, axes = subplots(1, 2, figsize=(10, 4))
        for i, (rule, r) in enumerate(results.items()):
            axes[0].plot(args.wds, [r["runs"][wd]["test_accuracy"] for wd in args.wds],
                         marker="o", color=f"C{i}", label=rule)
            axes[0].axhline(r["runs"][0.0]["test_accuracy"], color=f"C{i}", linestyle=":",
                            label=f"{rule}, wd=0")
        axes[0].set(xscale="log", xlabel="weight_decay (log)", ylabel="test accuracy",
                    title="Overfitting a small, noisy training set")
        axes[0].legend(fontsize="small")
        positions = numpy.arange(4)
        for i, rule in enumerate(("Adam + L2", "AdamW")):
            r = results[rule]
            axes[1].bar(positions + 0.4 * i - 0.2, r["shrinkage"], width=0.4,
                        color=f"C{i + 1}", label=f"{rule} (wd={r['best_wd']:g})")
        axes[1].set(xticks=positions, xticklabels=["smallest", "2nd", "3rd", "largest"],
                    xlabel="first-layer weights, by the size of their gradient",
                    ylabel="mean |w| with decay / without", title="Who gets decayed")
        axes[1].legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
