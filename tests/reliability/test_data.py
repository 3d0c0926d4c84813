"""Bad input, tried systematically: ``TensorDataset`` and ``DataLoader`` arguments.

Each case draws the dataset's arrays (NumPy of any layout, xpnet tensors of two backends,
nested lists, 0-d arrays, mismatched lengths, none at all) and the loader's ``batch_size``,
``shuffle``, ``drop_last`` and ``seed`` (valid, or zero, negative, float, bool, None, strings),
then reads one epoch.  Rule (``torch.utils.data``'s): every array has a first axis of one
common length; ``batch_size`` is a positive int; ``shuffle`` and ``drop_last`` are bools;
``seed`` (ours) an int >= 0 or None.  The epoch has ``ceil(N / b)`` batches (``floor`` with
``drop_last``) whose first fields, concatenated, are the dataset's first array in order
(without shuffling; a permutation of it with shuffling), and nothing given is modified.

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* ``TensorDataset()`` with no array is refused; torch builds a dataset with no length;
* shuffling an empty dataset gives an empty epoch; torch's ``RandomSampler`` refuses it;
* ``batch_size=None`` (torch: no batching) and a non-bool ``shuffle`` (torch: truthiness) are
  refused;
* arrays need not be torch tensors: NumPy arrays, xpnet tensors of any backend and lists work.
"""
import numpy
import pytest
from hypothesis import strategies as st

import xpnet
from xpnet.data import DataLoader, TensorDataset

from layer_cases import is_int, maybe_bad
from reliability_oracle import BUDGETS, Invalid, Valid, check_case, run_property, specs, torch

KINDS = ("numpy", "numpy", "tensor", "strict_tensor", "list")


@st.composite
def data_cases(draw):
    n = draw(st.integers(0, 7))
    arrays = []
    for k in range(draw(st.sampled_from((1, 2, 2, 2, 0)))):
        shape = [n] + draw(st.lists(st.integers(0, 3), max_size=2))
        mutation = draw(st.sampled_from(("none",) * 8 + ("0-d", "length")))
        shape = [] if mutation == "0-d" else [n + 1] + shape[1:] if mutation == "length" else shape
        spec = draw(specs(tuple(shape), dtype=draw(st.sampled_from(
            ("float32", "float64", "int64", "bool"))), allow_mixed=False))
        arrays.append((spec, draw(st.sampled_from(KINDS))))
    return dict(arrays=arrays,
                batch_size=maybe_bad(draw, st.integers(1, 4), bad=(0, -1, 2.0, True, None, "2")),
                shuffle=maybe_bad(draw, st.booleans(), bad=(0, 1, None, "yes")),
                drop_last=maybe_bad(draw, st.booleans(), bad=(0, 1, None, "yes")),
                seed=maybe_bad(draw, st.sampled_from((None, 0, 7)), bad=(-1, 1.5, True, "7")))


def _given(spec, kind):
    host = spec.host()
    if kind == "tensor":
        return xpnet.tensor(host, backend="numpy")
    if kind == "strict_tensor":
        return xpnet.tensor(host, backend="array_api_strict")
    return host.tolist() if kind == "list" else host


def _as_read(spec, kind):
    """The host array a dataset reads from ``spec`` given as ``kind`` (a list: NumPy's view
    of it, float64/int64 and without the empty inner axes a list cannot hold)."""
    return numpy.asarray(spec.host().tolist()) if kind == "list" else spec.host()


def _rule(c):
    problems = []
    arrays = [_as_read(s, kind) for s, kind in c["arrays"]]
    if not arrays or any(not a.shape for a in arrays) or len({a.shape[0] for a in arrays}) > 1:
        problems.append("tensors")
    if not is_int(c["batch_size"], 1):
        problems.append("batch_size")
    for flag in ("shuffle", "drop_last"):
        if not isinstance(c[flag], bool):
            problems.append(flag)
    if c["seed"] is not None and not is_int(c["seed"], 0):
        problems.append("seed")
    if problems:
        return Invalid(*problems)
    first = arrays[0]
    n, b = first.shape[0], c["batch_size"]
    used = (n // b) * b if c["drop_last"] else n
    return Valid((used,) + first.shape[1:], str(first.dtype))


def _epoch_first_field(loader):
    """One epoch's first fields, concatenated (as NumPy), after checking ``len(loader)``."""
    batches = [batch[0].numpy() for batch in loader]
    assert len(batches) == len(loader), "len(loader) is not the number of batches it yields"
    return numpy.concatenate(batches) if batches else None


def _data(c):
    given = [_given(s, kind) for s, kind in c["arrays"]]
    rule = _rule(c)

    def run(watch):
        loader = DataLoader(TensorDataset(*given), batch_size=c["batch_size"],
                            shuffle=c["shuffle"], drop_last=c["drop_last"], seed=c["seed"])
        out = _epoch_first_field(loader)
        if out is None:  # no batch at all
            return numpy.zeros(rule.shape, rule.dtype)
        return out if not c["shuffle"] else numpy.sort(out, axis=0) if out.ndim else out

    def run_torch():
        data = torch.utils.data.TensorDataset(*[torch.from_numpy(numpy.array(s.host()))
                                                for s, _ in c["arrays"]])
        loader = torch.utils.data.DataLoader(data, batch_size=c["batch_size"],
                                             shuffle=c["shuffle"], drop_last=c["drop_last"])
        batches = [batch[0] for batch in loader]
        out = torch.cat(batches) if batches else torch.from_numpy(
            numpy.zeros(rule.shape, rule.dtype))
        return torch.sort(out, dim=0).values if c["shuffle"] and out.ndim else out
    lists = any(kind == "list" for _, kind in c["arrays"])
    difference = ("TensorDataset() needs an array" if not c["arrays"] else
                  "batch_size=None and a non-bool shuffle are refused"
                  if c["batch_size"] is None or not isinstance(c["shuffle"], bool) else
                  "shuffling no sample gives an empty epoch; torch's RandomSampler refuses"
                  if c["shuffle"] is True and isinstance(rule, Valid) and rule.shape[0] == 0 else
                  "the seed is xpnet's" if c["seed"] is not None and not is_int(c["seed"], 0)
                  else "lists become arrays; torch's TensorDataset wants tensors" if lists
                  else None)
    check_case(f"DataLoader({c})", run, rule, inputs=[g for g in given if not isinstance(g, list)],
               run_torch=run_torch if rule_is_comparable(c) else None, difference=difference,
               compare_values=_whole_epoch_in_order(c, rule))


def _whole_epoch_in_order(c, rule):
    """Values can be compared with torch's: no shuffling, or every sample read (sorted)."""
    if c["shuffle"] is not True:
        return True
    return isinstance(rule, Valid) and rule.shape[0] == c["arrays"][0][0].shape[0]


def rule_is_comparable(c):
    """torch sorts by value only along axis 0; compare shuffled epochs of 1-D fields only."""
    return not (c["shuffle"] is True and c["arrays"] and len(c["arrays"][0][0].shape) > 1)


@pytest.mark.parametrize("budget", BUDGETS)
def test_data_bad_input(budget):
    run_property("data", data_cases(), _data, 400, budget)

