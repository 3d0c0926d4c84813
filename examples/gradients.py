"""Vanishing and exploding gradients in a deep MLP: sigmoid vs ReLU, Xavier vs He, gradient clipping.

What it teaches: backpropagation multiplies the gradient by one weight matrix
(and one activation derivative) per layer, so in a deep network its size
changes geometrically with depth.  Initial weights that are too small make it
shrink layer by layer on its way back to the input (vanishing: nothing
learns); too large make it grow (exploding: the loss overflows with ReLU;
tanh and sigmoid saturate and learn little).  Xavier (Glorot) init keeps the
variance of the signal constant for tanh-like activations; Kaiming (He) init
adds the factor 2 that ReLU needs (it zeroes half its inputs).  The sigmoid's
derivative is at most 1/4, so even with Xavier or Kaiming init its gradient
shrinks by about 4x per layer (and large weights saturate it): deep sigmoid
networks barely learn, which is why hidden layers use ReLU (or tanh) instead.

For a ``--depth``-layer MLP (sigmoid, tanh and ReLU) and four initializations

* ``small``: N(0, 0.01^2),   * ``large``: N(0, 1),
* ``xavier``: ``nn.init.xavier_normal_`` (gain 1),
* ``kaiming``: ``nn.init.kaiming_normal_(nonlinearity=...)``,

the table shows, after one backward pass, the gradient reaching each layer
(the norm of its bias gradient ``p.grad``, from ``model.named_parameters()``),
the ratio first/last layer, the weight-gradient norms of the first and last
layer, and the test accuracy after a few epochs of SGD with momentum
("diverged" when the loss became NaN or infinite).  Finally the exploding case
is trained again with ``nn.utils.clip_grad_norm_``, which rescales the
gradient to a bounded norm before each step: the loss stays finite and the
network learns a little, but clipping only keeps the run alive; it does not
turn a bad initialization into a good one.  The figure shows the gradient
reaching each layer per activation and init, and the training loss of the
exploding network step by step, with and without clipping.

Run (a few seconds on a laptop CPU; writes ``gradients.png`` unless ``--no-plot``)::

    python examples/gradients.py
    python examples/gradients.py --depth 20 --plot deep.png
"""
import math
import warnings

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import evaluate

from _common import (make_parser, parse, save_figure, standardized_digits, subplots,  # examples/_common.py
                     want_plot)

INITS = {
    "small": lambda w, act: nn.init.normal_(w, 0.0, 0.01),
    "large": lambda w, act: nn.init.normal_(w, 0.0, 1.0),
    "xavier": lambda w, act: nn.init.xavier_normal_(w),
    "kaiming": lambda w, act: nn.init.kaiming_normal_(w, nonlinearity=act),
}
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def deep_mlp(depth, width, act, init):
    """``depth`` Linear layers 64 -> width -> ... -> 10 with ``act`` between them."""
    sizes = [64] + [width] * (depth - 1) + [10]
    layers = []
    for i in range(depth):
        linear = nn.Linear(sizes[i], sizes[i + 1])
        INITS[init](linear.weight, act)
        nn.init.zeros_(linear.bias)
        layers += [linear, ACTIVATIONS[act]()] if i < depth - 1 else [linear]
    return nn.Sequential(*layers)


def grad_norms(model, x, y):
    """L2 norms of each layer's bias and weight gradients after one backward pass.

    ``dL/db_l`` is the gradient arriving at layer ``l``'s output, summed over
    the batch: the signal that backpropagation carries down the layers.
    ``dL/dW_l`` is that signal times the layer's *input*, which shrinks or
    grows in the forward pass by the same factor per layer.
    """
    model.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    norms = {"bias": [], "weight": []}
    for name, p in model.named_parameters():  # "0.weight", "0.bias", "2.weight", ...
        norms[name.rsplit(".", 1)[1]].append((p.grad * p.grad).sum().item() ** 0.5)
    return norms


def train(model, loader, epochs, lr, clip=None):
    """SGD with momentum; the loss of every step, up to the first NaN or infinite one (included)."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    with warnings.catch_warnings():  # overflow is what the exploding runs are here to show
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(epochs):
            for xb, yb in loader:
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(xb), yb)
                losses.append(loss.item())
                if not math.isfinite(losses[-1]):
                    return losses
                loss.backward()
                if clip is not None:  # rescale all gradients together to a norm <= clip
                    nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
                opt.step()
    return losses


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save gradient norms per layer")
    parser.add_argument("--depth", type=int, default=10, help="number of Linear layers")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x_train, y_train, x_test, y_test = standardized_digits(args.seed)
        probe = xpnet.tensor(x_train[:256]), xpnet.tensor(y_train[:256])
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)

        results = {}
        for act in ACTIVATIONS:
            for init in INITS:
                xpnet.manual_seed(args.seed)
                model = deep_mlp(args.depth, args.width, act, init)
                norms = grad_norms(model, *probe)
                loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32,
                                    shuffle=True, seed=args.seed)
                ok = math.isfinite(train(model, loader, args.epochs, args.lr)[-1])
                acc = evaluate(model, test_loader)["accuracy"] if ok else None
                results[(act, init)] = {**norms, "test_accuracy": acc}
        # the exploding case again, with gradient clipping
        for clip in (None, 1.0):
            xpnet.manual_seed(args.seed)
            model = deep_mlp(args.depth, args.width, "relu", "large")
            loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32,
                                shuffle=True, seed=args.seed)
            losses = train(model, loader, args.epochs, args.lr, clip=clip)
            ok = math.isfinite(losses[-1])
            results[("clip", clip)] = {
                "finite": ok, "losses": losses,
                "test_accuracy": evaluate(model, test_loader)["accuracy"] if ok else None}

    print(f"MLP of depth {args.depth}, width {args.width}.  Columns 1..{args.depth}: the "
          f"gradient reaching each layer,\n||dL/db_l|| (1 = input side); dW: weight-gradient "
          f"norms ||dL/dW|| of the first and last layer")
    print(f"{'act':<8}{'init':<8}" + "".join(f"{i + 1:>7}" for i in range(args.depth))
          + f"{'1st/last':>9}{'dW 1st':>8}{'dW last':>8}{'test acc':>10}")
    for (act, init), r in results.items():
        if act in ACTIVATIONS:
            b, w = r["bias"], r["weight"]
            acc = "diverged" if r["test_accuracy"] is None else f"{r['test_accuracy']:.3f}"
            print(f"{act:<8}{init:<8}" + "".join(f"{v:>7.0e}" for v in b)
                  + f"{b[0] / b[-1]:>9.0e}{w[0]:>8.0e}{w[-1]:>8.0e}{acc:>10}")
    for clip in (None, 1.0):
        r = results[("clip", clip)]
        acc = (f"diverged at step {len(r['losses'])}" if r["test_accuracy"] is None
               else f"test acc {r['test_accuracy']:.3f}")
        print(f"relu + large init, clip_grad_norm_(max_norm={clip}): {acc}")

    if want_plot(args):
        fig, axes = subplots(1, len(ACTIVATIONS) + 1, figsize=(15, 4))
        for ax, act in zip(axes, ACTIVATIONS):
            for init in INITS:
                ax.plot(range(1, args.depth + 1), results[(act, init)]["bias"],
                        marker="o", label=init)
            ax.set(yscale="log", xlabel="layer (1 = input side)",
                   ylabel="||dL/db||: gradient reaching the layer", title=f"{act}: gradient by layer")
            ax.legend(fontsize="small")
        for clip in (None, 1.0):
            losses = results[("clip", clip)]["losses"]
            axes[-1].plot(range(1, len(losses) + 1), losses, marker="x" if clip is None else None,
                          label="no clipping (then NaN)" if clip is None else f"clip_grad_norm_({clip})")
        axes[-1].set(yscale="log", xlabel="step", ylabel="training loss (batch)",
                     title="relu + large init, clipped or not")
        axes[-1].legend(fontsize="small")
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
