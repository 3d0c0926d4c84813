"""A small CNN with batch normalization on the 1x8x8 digit images; what model.eval() changes.

What it teaches:

* images stay images: ``load_digits(return_images=True)`` gives (N, 1, 8, 8)
  for ``Conv2d``; ``Conv2d(padding=1)`` keeps 8x8, ``MaxPool2d(2)`` halves it,
  ``Flatten`` turns (N, C, H, W) into (N, C*H*W) for the final ``Linear``;
* ``xpnet.train.fit`` runs the training loop (with validation) and
  ``evaluate`` the test pass;
* ``BatchNorm2d`` normalizes each channel with the statistics of the current
  *batch* in training mode, and meanwhile keeps running estimates
  (``running_mean``, ``running_var``, an exponential average with
  ``momentum=0.1``; ``num_batches_tracked`` counts the updates).  After
  ``model.eval()`` it uses those running estimates instead, so a prediction no
  longer depends on which other images share its batch.  The script prints
  the running estimates of the first BatchNorm next to the statistics of its
  input over the whole training set, and checks that one image gets the same
  scores alone and inside a batch in eval mode, but not in train mode.

Run (a few seconds on a laptop CPU)::

    python examples/cnn.py
    python examples/cnn.py --epochs 10 --plot cnn.png   # needs matplotlib
"""
import copy

import numpy

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset, load_digits, train_test_split
from xpnet.train import evaluate, fit

from _common import make_parser, parse, save_figure, subplots, want_plot  # examples/_common.py


def make_cnn(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),      # (N, w, 8, 8)
        nn.MaxPool2d(2),                                                          # (N, w, 4, 4)
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2),                                                          # (N, 2w, 2, 2)
        nn.Flatten(),                                                             # (N, 8w)
        nn.Linear(2 * width * 2 * 2, 10))


def main(argv=None):
    parser = make_parser(__doc__, __file__, plot_help="save the learning curves")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16, help="channels of the first conv")
    args = parse(parser, argv)

    with xpnet.use_backend(args.backend):
        x, y = load_digits(return_images=True)  # (1797, 1, 8, 8) with pixel values 0..16
        x = x / 16.0                            # to [0, 1]; batch norm takes care of the rest
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, stratify=y, seed=args.seed)
        train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                                  shuffle=True, seed=args.seed)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)

        xpnet.manual_seed(args.seed)
        model = make_cnn(args.width)
        history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                      train_loader, epochs=args.epochs, val_loader=test_loader, progress=False)
        model.eval()  # batch norm now uses its running estimates (evaluate does this too)
        test = evaluate(model, test_loader, nn.CrossEntropyLoss())

        # the running estimates of the first BatchNorm vs the statistics of its input
        conv1, bn1 = model[0], model[1]
        with xpnet.no_grad():
            h = conv1(xpnet.tensor(x_train)).numpy()  # (N, w, 8, 8): what bn1 normalizes
        measured_mean, measured_var = h.mean(axis=(0, 2, 3)), h.var(axis=(0, 2, 3))

        # eval mode: one image's scores do not depend on its batch; train mode: they do
        image, batch = xpnet.tensor(x_test[:1]), xpnet.tensor(x_test[:64])
        with xpnet.no_grad():
            eval_gap = numpy.abs(model(image).numpy()[0] - model(batch).numpy()[0]).max()
            trained = copy.deepcopy(model).train()  # a copy: train mode updates running stats
            train_gap = numpy.abs(trained(image).numpy()[0]
                                  - trained(batch).numpy()[0]).max()

    results = {
        "history": history.epochs, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
        "num_batches_tracked": [int(m.num_batches_tracked.item()) for m in model.modules()
                                if isinstance(m, nn.BatchNorm2d)],
        "batches_per_epoch": len(train_loader),
        "running_mean": bn1.running_mean.numpy(), "running_var": bn1.running_var.numpy(),
        "measured_mean": measured_mean, "measured_var": measured_var,
        "eval_mode_batch_effect": float(eval_gap), "train_mode_batch_effect": float(train_gap)}

    print(f"{'epoch':>5}{'loss':>9}{'acc':>8}{'test loss':>11}{'test acc':>10}{'time':>8}")
    for e in history.epochs:
        print(f"{e['epoch']:>5}{e['loss']:>9.4f}{e['accuracy']:>8.3f}{e['val_loss']:>11.4f}"
              f"{e['val_accuracy']:>10.3f}{e['seconds']:>7.1f}s")
    print(f"\ntest accuracy in eval mode: {test['accuracy']:.3f}")
    print(f"num_batches_tracked of each BatchNorm2d: {results['num_batches_tracked']} "
          f"(= {args.epochs} epochs x {len(train_loader)} batches)")
    print("first BatchNorm2d, channels 0-5: running estimates vs its input over the training set")
    for label, values in [("running_mean", results["running_mean"]),
                          ("measured mean", measured_mean),
                          ("running_var", results["running_var"]),
                          ("measured var", measured_var)]:
        print(f"  {label:<14}" + "".join(f"{v:>9.4f}" for v in values[:6]))
    print(f"largest change of one image's scores when predicted alone vs in a batch of 64:\n"
          f"  eval mode {eval_gap:.2e}   train mode {train_gap:.2e}")

    if want_plot(args):
        fig, ax = subplots()
        epochs = range(1, args.epochs + 1)
        ax.plot(epochs, history["accuracy"], marker="o", label="train (batch statistics)")
        ax.plot(epochs, history["val_accuracy"], marker="o", label="test (running statistics)")
        ax.set(xlabel="epoch", ylabel="accuracy", title="CNN with batch norm on 8x8 digits")
        ax.legend()
        save_figure(fig, args.plot)
    return results


if __name__ == "__main__":
    main()
