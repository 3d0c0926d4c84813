"""DataLoader(num_replicas, rank): each rank's slice of every global batch, for data-parallel training."""
import math

import numpy
import pytest

from test_loader import epoch_ids, ids_dataset
from xpnet.data import DataLoader


def shards(n, batch_size, replicas, drop_last=False, shuffle=True, epochs=2):
    """Per epoch, per rank, the list of its batches' ids."""
    loaders = [DataLoader(ids_dataset(n), batch_size=batch_size, shuffle=shuffle, seed=5,
                          drop_last=drop_last, num_replicas=replicas, rank=r)
               for r in range(replicas)]
    return [[epoch_ids(loader) for loader in loaders] for _ in range(epochs)]


@pytest.mark.parametrize("n, batch_size, replicas", [(24, 4, 2), (24, 2, 3), (12, 3, 4), (10, 5, 1)])
def test_ranks_batches_together_are_the_single_process_batches(n, batch_size, replicas):
    single = DataLoader(ids_dataset(n), batch_size=batch_size * replicas, shuffle=True, seed=5)
    for epoch in shards(n, batch_size, replicas):
        whole = epoch_ids(single)
        assert all(len(rank_batches) == len(whole) for rank_batches in epoch)
        for i, batch in enumerate(whole):
            parts = [epoch[r][i] for r in range(replicas)]
            assert all(len(p) == batch_size for p in parts)
            numpy.testing.assert_array_equal(numpy.concatenate(parts), batch)  # disjoint, in order


@pytest.mark.parametrize("n", [1, 5, 7, 9, 13])
@pytest.mark.parametrize("replicas", [2, 3])
def test_short_last_global_batch_is_padded_from_the_epoch_start_and_split_evenly(n, replicas):
    batch_size = 2
    global_batch = batch_size * replicas
    for epoch in shards(n, batch_size, replicas):
        assert {len(rank_batches) for rank_batches in epoch} == {math.ceil(n / global_batch)}
        last = [rank_batches[-1] for rank_batches in epoch]
        assert len({len(b) for b in last}) == 1  # every rank the same batch size
        seen = numpy.concatenate([b for rank_batches in epoch for b in rank_batches])
        assert sorted(set(seen.tolist())) == list(range(n))  # every sample at least once
        assert len(seen) - n == (-n) % replicas  # fewer than R repeats
        order = numpy.concatenate([numpy.concatenate(parts) for parts in zip(*epoch)])
        numpy.testing.assert_array_equal(order[n:], order[:len(order) - n])  # repeats the start


@pytest.mark.parametrize("n, replicas", [(13, 2), (5, 3), (4, 3)])
def test_drop_last_drops_the_short_global_batch(n, replicas):
    for epoch in shards(n, 2, replicas, drop_last=True):
        assert {len(b) for b in epoch} == {n // (2 * replicas)}
        seen = numpy.concatenate([numpy.concatenate(b) for b in epoch if b] or [numpy.array([])])
        assert len(set(seen.tolist())) == len(seen) == (n // (2 * replicas)) * 2 * replicas


def test_without_shuffle_ranks_take_consecutive_slices():
    epoch = shards(8, 2, 2, shuffle=False, epochs=1)[0]
    assert [b.tolist() for b in epoch[0]] == [[0, 1], [4, 5]]
    assert [b.tolist() for b in epoch[1]] == [[2, 3], [6, 7]]


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(num_replicas=0), ValueError, "num_replicas must be an int >= 1; got 0"),
    (dict(num_replicas=2, rank=2), ValueError, r"rank must be in 0..num_replicas-1 = 0..1; got rank=2"),
    (dict(num_replicas=2, rank=-1), ValueError, "rank must be an int >= 0; got -1"),
    (dict(num_replicas=2.0), TypeError, "num_replicas must be an int"),
    (dict(num_replicas=2, rank=0, shuffle=True), ValueError, "needs an explicit seed"),
])
def test_bad_shard_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        DataLoader(ids_dataset(4), batch_size=1, **kwargs)
