"""Convolution step by step: a hand-built edge detector (Sobel) on a digit, checked against the explicit sum.

What it teaches: a convolution layer slides a small kernel over the image and,
at every position, multiplies the pixels under it by the kernel's weights and
adds them up.  For input ``x`` (N, C, H, W), weight ``w`` (K, C, R, S),
bias ``b`` (K,), stride ``t`` and zero padding ``p``::

    y[n, k, i, j] = b[k] + sum_c sum_r sum_s x_pad[n, c, i*t + r, j*t + s] * w[k, c, r, s]

with output size ``H_out = (H + 2p - R) // t + 1`` (likewise ``W_out``).  Like
PyTorch (and every deep-learning library) ``nn.functional.conv2d`` does not
flip the kernel: strictly it is a cross-correlation.

No training here: the weights are written by hand.  The Sobel kernel ``Gx``
below is a smoothed horizontal difference, large where the pixel values rise
from left to right (a vertical edge; negative where they fall; the digits'
values are ink, 16 = black), and ``Gy = Gx^T`` does the same from top to
bottom.  The script applies both to one 8x8 digit with ``conv2d`` (as one
``(2, 1, 3, 3)`` weight: two output channels), recomputes every output value
with the four nested sums above written as Python loops, and prints the
largest difference (float32 rounding only); then does the same for random
multi-channel input and weights (C=3, K=4), where the sum over ``c`` matters
too.  The figure shows the digit, the two kernels, their outputs and the edge
strength ``sqrt(Gx^2 + Gy^2)``.

Run (about a second; writes ``convolution.png`` unless ``--no-plot``)::

    python examples/convolution.py
    python examples/convolution.py --digit 7 --stride 2 --padding 0 --plot conv.png
"""
import numpy

import xpnet
from xpnet import nn
from xpnet.data import load_digits

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py

SOBEL_X = numpy.array([[-1, 0, 1],
                       [-2, 0, 2],
                       [-1, 0, 1]], dtype=numpy.float32)  # values rising to the right -> positive


def explicit_conv2d(x, w, b, stride, padding):
    """The convolution as the four nested sums of its definition, on host arrays in float64."""
    n_img, n_chan, height, width = x.shape
    n_out, _, kh, kw = w.shape
    x_pad = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    y = numpy.zeros((n_img, n_out, h_out, w_out))
    for n in range(n_img):
        for k in range(n_out):
            for i in range(h_out):
                for j in range(w_out):
                    total = float(b[k])
                    for c in range(n_chan):
                        for r in range(kh):
                            for s in range(kw):
                                total += x_pad[n, c, i * stride + r, j * stride + s] * w[k, c, r, s]
                    y[n, k, i, j] = total
    return y


def conv_and_check(x, w, b, stride, padding):
    """``conv2d`` on the current backend and its largest difference from the explicit sum."""
    y = nn.functional.conv2d(xpnet.tensor(x), xpnet.tensor(w), xpnet.tensor(b),
                             stride=stride, padding=padding).numpy()
    return y, float(numpy.abs(y - explicit_conv2d(x, w, b, stride, padding)).max())


def print_grid(title, a, digits=1):
    print(title)
    for row in a:
        print("  " + "".join(f"{v:>6.{digits}f}" for v in row))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the digit, kernels and outputs")
    parser.add_argument("--digit", type=int, default=0, help="index of the image (0..1796)")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--padding", type=int, default=1, help="zeros added on every side")
    args = parse(parser, argv)

    images, labels = load_digits(return_images=True)   # (1797, 1, 8, 8), pixels 0..16
    x = images[args.digit:args.digit + 1] / 16.0        # (1, 1, 8, 8) in [0, 1]
    w = numpy.stack([SOBEL_X, SOBEL_X.T])[:, None]     # (2, 1, 3, 3): Gx and Gy
    b = numpy.zeros(2, dtype=numpy.float32)
    rng = numpy.random.default_rng(args.seed)
    x3 = rng.standard_normal((2, 3, 9, 9)).astype(numpy.float32)  # N=2, C=3
    w3 = rng.standard_normal((4, 3, 3, 3)).astype(numpy.float32)  # K=4
    b3 = rng.standard_normal(4).astype(numpy.float32)

    with xpnet.use_backend(args.backend):
        y, digit_diff = conv_and_check(x, w, b, args.stride, args.padding)
        y3, random_diff = conv_and_check(x3, w3, b3, args.stride, args.padding)
    gx, gy = y[0, 0], y[0, 1]
    size = (8 + 2 * args.padding - 3) // args.stride + 1
    results = {"label": int(labels[args.digit]), "image": x[0, 0], "gx": gx, "gy": gy,
               "magnitude": numpy.sqrt(gx ** 2 + gy ** 2), "output_shape": y.shape,
               "expected_shape": (1, 2, size, size), "digit_max_diff": digit_diff,
               "random_output_shape": y3.shape, "random_max_diff": random_diff}

    print(f"digit #{args.digit} (a {results['label']}), stride {args.stride}, padding "
          f"{args.padding}: output (N, K, H_out, W_out) = {y.shape}; "
          f"(8 + 2*{args.padding} - 3) // {args.stride} + 1 = {size}")
    print_grid("input (pixel values 0..16, 16 = ink; x is them / 16):", 16 * x[0, 0], digits=0)
    print_grid("Gx output (+: more ink to the right, -: less):", gx)
    print_grid("Gy output (+: more ink downwards, -: less):", gy)
    print(f"largest |conv2d - explicit sum|: Sobel on the digit {digit_diff:.2e}; "
          f"random x (2, 3, 9, 9), w (4, 3, 3, 3) {random_diff:.2e} (float32 rounding)")

    if want_plot(args):
        fig, axes = subplots(2, 3, figsize=(9, 6))
        limit = numpy.abs(y).max()
        panels = [(x[0, 0], f"input: digit #{args.digit} (a {results['label']})", "gray_r", 0, 1),
                  (SOBEL_X, "kernel Gx (Sobel)", "RdBu_r", -2, 2),
                  (gx, "Gx output: vertical edges", "RdBu_r", -limit, limit),
                  (results["magnitude"], "edge strength sqrt(Gx²+Gy²)", "gray_r", 0, limit),
                  (SOBEL_X.T, "kernel Gy = Gx transposed", "RdBu_r", -2, 2),
                  (gy, "Gy output: horizontal edges", "RdBu_r", -limit, limit)]
        for ax, (image, title, cmap, lo, hi) in zip(axes.flat, panels):
            shown = ax.imshow(image, cmap=cmap, vmin=lo, vmax=hi)
            ax.set(title=title, xlabel="column j", ylabel="row i",
                   xticks=range(image.shape[1]), yticks=range(image.shape[0]))
            fig.colorbar(shown, ax=ax, fraction=0.046)
        for ax, kernel in ((axes[0, 1], SOBEL_X), (axes[1, 1], SOBEL_X.T)):
            for (i, j), v in numpy.ndenumerate(kernel):  # write the weights into the cells
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=12,
                        color="white" if abs(v) == 2 else "black")
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
