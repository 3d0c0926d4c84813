"""The resumable state of a training run: what a checkpoint holds, and putting it back.

:func:`training_state` gathers everything the next epoch depends on::

    {"epoch": k,                  # epochs 1..k are done
     "step": s,                   # optimizer steps taken
     "model": model.state_dict(), # parameters and buffers (batch-norm statistics)
     "optimizer": optimizer.state_dict(),
     "scheduler": scheduler.state_dict() or None,
     "history": [record, ...],    # History.epochs, one dict per epoch
     "rng": xpnet.get_rng_state(),# the global generator (dropout masks)
     "extra": {...}}              # the caller's: e.g. scaler statistics, the CLI config

and :func:`restore_training_state` puts it back, so that
``fit(..., initial_epoch=k, history=h)`` continues exactly where the run
stopped: the data order is ``loader.set_epoch`` of the epoch (a function of
the loader's seed and the epoch), the rest is in the state.  On the NumPy
backend the continued run is bit-identical to an uninterrupted one, provided
the model, optimizer, scheduler and loaders are built the same way (same
seeds) before restoring.

>>> import xpnet
>>> from xpnet import nn, optim
>>> model = nn.Linear(2, 2); opt = optim.SGD(model.parameters(), lr=0.1)
>>> state = {"epoch": 0, "step": 0, "model": model.state_dict(), "optimizer": opt.state_dict(),
...          "scheduler": None, "history": [], "rng": xpnet.get_rng_state(), "extra": {}}
>>> epoch, history, extra = restore_training_state(state, model, opt)
>>> epoch, history.epochs, extra
(0, [], {})
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ..random import get_rng_state, set_rng_state
from .trainer import History

KEYS = ("epoch", "step", "model", "optimizer", "scheduler", "history", "rng", "extra")


def copy_state(model) -> Dict[str, object]:
    """A copy of ``model.state_dict()`` on the model's backend (survives in-place updates
    such as batch norm's running statistics)."""
    return {k: type(t)(t.backend.asarray(t.data), t.backend) for k, t in model.state_dict().items()}


def training_state(loop, extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The resumable state after ``loop.epoch``: the dict of the module docstring.

    ``extra`` is stored as given (anything :func:`xpnet.save` can write).  The
    model's state is ``loop.net``'s, so it loads with or without a
    data-parallel wrapper.  Like ``state_dict()`` it shares memory with the model:
    write it with :func:`xpnet.save` before training goes on.

    >>> from xpnet import nn, optim
    >>> from xpnet.train import History, Loop
    >>> model = nn.Linear(2, 2)
    >>> loop = Loop(model, None, optim.SGD(model.parameters(), lr=0.1), [], None, None, (),
    ...             epochs=3, initial_epoch=0, history=History())
    >>> state = training_state(loop, extra={"scale": 2.0})
    >>> state["epoch"], sorted(state["model"]), state["extra"]
    (0, ['bias', 'weight'], {'scale': 2.0})
    """
    return {"epoch": loop.epoch, "step": loop.step,
            "model": loop.net.state_dict(), "optimizer": loop.optimizer.state_dict(),
            "scheduler": None if loop.scheduler is None else loop.scheduler.state_dict(),
            "history": [dict(r) for r in loop.history.epochs],
            "rng": get_rng_state(), "extra": {} if extra is None else extra}


def check_training_state(state: Any, scheduler=None) -> None:
    """``ValueError`` unless ``state`` is a :func:`training_state` that fits ``scheduler``.

    Checks the keys, that ``epoch`` is an int >= 0 where the history ends, and
    that the checkpoint has a scheduler state exactly when ``scheduler`` is
    given; the model and optimizer parts are checked by loading them
    (:func:`restore_training_state`, which calls this first).

    >>> check_training_state({"epoch": 1})
    Traceback (most recent call last):
    ValueError: restore_training_state(state): a training checkpoint has exactly the keys [...
    """
    where = "restore_training_state(state)"
    if not isinstance(state, dict) or set(state) != set(KEYS):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{where}: a training checkpoint has exactly the keys {sorted(KEYS)}; "
                         f"got {got}. Was it written by ModelCheckpoint / xpnet train --save?")
    epoch = state["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"{where}: state['epoch'] must be an int >= 0; got {epoch!r}")
    history = state["history"]
    if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        raise ValueError(f"{where}: state['history'] must be a list of per-epoch dicts; "
                         f"got {type(history).__name__}")
    if history and history[-1].get("epoch") != epoch:
        raise ValueError(f"{where}: the history ends at epoch {history[-1].get('epoch')!r} "
                         f"but state['epoch'] is {epoch}")
    if (scheduler is None) != (state["scheduler"] is None):
        raise ValueError(f"{where}: the checkpoint has "
                         f"{'no' if state['scheduler'] is None else 'a'} scheduler state but "
                         f"{'none' if scheduler is None else 'a scheduler'} was given")


def restore_training_state(state: Dict[str, Any], model, optimizer,
                           scheduler=None) -> Tuple[int, History, Dict[str, Any]]:
    """Load a :func:`training_state` into ``model``, ``optimizer``, ``scheduler`` and the RNG.

    Returns ``(epoch, history, extra)`` for ``fit(initial_epoch=epoch,
    history=history)``; the global random generator gets the saved state.
    Everything is validated first; if any part fails to load, the model and
    optimizer get their previous state back and a ``ValueError`` says what
    is wrong.

    >>> import os, tempfile, xpnet
    >>> from xpnet import nn, optim
    >>> from xpnet.train import History, Loop
    >>> _ = xpnet.manual_seed(0)
    >>> old = nn.Linear(2, 2)
    >>> loop = Loop(old, None, optim.SGD(old.parameters(), lr=0.1), [], None, None, (),
    ...             epochs=1, initial_epoch=0, history=History())
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     xpnet.save(training_state(loop), os.path.join(folder, "ckpt.xpt"))
    ...     state = xpnet.load(os.path.join(folder, "ckpt.xpt"))
    >>> new = nn.Linear(2, 2); opt = optim.SGD(new.parameters(), lr=0.1)
    >>> epoch, history, extra = restore_training_state(state, new, opt)
    >>> epoch, bool((new.weight.numpy() == old.weight.numpy()).all())
    (0, True)
    """
    check_training_state(state, scheduler)
    model_before, optimizer_before = copy_state(model), optimizer.state_dict()
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
    except (ValueError, TypeError, KeyError) as e:
        model.load_state_dict(model_before)
        optimizer.load_state_dict(optimizer_before)
        raise ValueError(f"restore_training_state: the checkpoint does not fit this model/"
                         f"optimizer: {e}") from None
    return state["epoch"], History([dict(r) for r in state["history"]]), state["extra"]
