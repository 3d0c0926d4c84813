"""DistributedDataParallel in one process, on a simulated world (fakes.MirrorWorld) and on world size 1."""
import numpy
import pytest

import xpnet
from fakes import MirrorWorld
from tolerances import assert_close
from xpnet import distributed as dist, nn, optim
from xpnet.distributed import DistributedDataParallel as DDP
from xpnet.distributed.communicator import LocalCommunicator


def mlp():
    xpnet.manual_seed(3)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def local_grads(model, x, y):
    """The gradients of one loss.backward() on ``model`` without any wrapper."""
    model.zero_grad()
    nn.CrossEntropyLoss()(model(x), y).backward()
    return [p.grad.numpy() for p in model.parameters()]


def batch():
    rng = numpy.random.default_rng(0)
    return xpnet.tensor(rng.standard_normal((5, 6)).astype(numpy.float32)), xpnet.tensor(rng.integers(0, 3, 5))


def test_construction_broadcasts_rank0_parameters_and_buffers():
    world = MirrorWorld(world_size=2, rank=1, rank0_value=7)
    model = DDP(mlp(), world=world)
    for t in list(model.parameters()) + list(model.buffers()):
        numpy.testing.assert_array_equal(t.numpy(), numpy.full(t.shape, 7))
    # one message per dtype: float32 parameters+buffers, the int64 batch counter
    assert [(n, str(d)) for n, d, _ in world.calls] == [("broadcast", "float32"), ("broadcast", "int64")]


def test_backward_leaves_the_mean_over_ranks_in_grad(backend_name):
    x, y = batch()
    expected = local_grads(mlp(), x, y)
    world = MirrorWorld(world_size=3, rank=0)  # rank 0 keeps its own values when broadcasting
    model = DDP(mlp(), world=world)
    world.calls.clear()
    nn.CrossEntropyLoss()(model(x), y).backward()  # the plain loop: nothing else to call
    # 3 ranks holding these gradients: sum 3g, divided by 3
    for p, g in zip(model.parameters(), expected):
        assert_close(p.grad.numpy(), g)
    n_params = sum(p.numel() for p in model.parameters())
    # the buffers are broadcast at the training forward, then one all-reduce for all gradients
    assert world.calls[-1] == ("all_reduce", numpy.dtype("float32"), n_params)
    assert world.names().count("all_reduce") == 1


def test_after_a_training_forward_every_rank_holds_rank0s_updated_buffers():
    # rank 1's batch-norm statistics after its forward are replaced by rank 0's (here 7), so
    # evaluation after the last step and rank 0's checkpoint agree on every rank
    world = MirrorWorld(world_size=2, rank=1, rank0_value=7)
    model = DDP(mlp(), world=world)
    model(batch()[0])
    for name, t in model.named_buffers():
        numpy.testing.assert_array_equal(t.numpy(), numpy.full(t.shape, 7), err_msg=name)


def test_buckets_cap_the_message_size():
    world = MirrorWorld(world_size=2, rank=0)
    model = DDP(mlp(), world=world, bucket_cap_mb=200 / 2**20)  # 200 bytes = 50 floats
    world.calls.clear()
    model(batch()[0]).sum().backward()
    sizes = [n for name, _, n in world.calls if name == "all_reduce"]
    # parameter sizes 48, 8, 8, 8, 24, 3 in order, packed in buckets of at most 50 floats
    assert sizes == [48, 8 + 8 + 8 + 24, 3]
    assert sum(sizes) == sum(p.numel() for p in model.parameters())


def test_two_outputs_reduce_once_and_unused_parameters_get_zero_grads():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.unused = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.a(x), {"b": self.b(x)}

    world = MirrorWorld(world_size=2, rank=0)
    model = DDP(TwoHeads(), world=world)
    world.calls.clear()
    a, rest = model(xpnet.ones(4, 2))
    (a.sum() + rest["b"].sum()).backward()
    assert world.names() == ["all_reduce"]
    numpy.testing.assert_array_equal(model.module.unused.weight.grad.numpy(), numpy.zeros((2, 2)))
    numpy.testing.assert_array_equal(model.module.a.bias.grad.numpy(), [4.0, 4.0])


def test_no_sync_accumulates_locally_then_the_next_backward_averages_all():
    world = MirrorWorld(world_size=2, rank=0)
    model = DDP(nn.Linear(2, 1), world=world)
    world.calls.clear()
    with model.no_sync():
        model(xpnet.ones(1, 2)).sum().backward()
    assert world.calls == []
    model(xpnet.ones(1, 2)).sum().backward()
    assert world.names() == ["all_reduce"]
    numpy.testing.assert_array_equal(model.module.bias.grad.numpy(), [2.0])  # (2 + 2) / 2 ranks


def test_eval_and_no_grad_forwards_communicate_nothing():
    world = MirrorWorld(world_size=2, rank=0)
    model = DDP(mlp(), world=world)
    world.calls.clear()
    with xpnet.no_grad():
        model(batch()[0])
    model.eval()
    model(batch()[0]).sum().backward()
    assert world.calls == []


def test_one_process_trains_exactly_like_the_bare_model(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    x, y = batch()
    results = []
    for wrap in (False, True):
        net = mlp()
        model = DDP(net) if wrap else net
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(x), y).backward()
            opt.step()
        results.append([t.numpy() for t in net.state_dict().values()])
    assert isinstance(dist.get_world(), LocalCommunicator)
    for a, b in zip(*results):
        numpy.testing.assert_array_equal(a, b)


def test_state_dict_keys_are_prefixed_with_module():
    model = DDP(nn.Linear(2, 1), world=LocalCommunicator())
    assert list(model.state_dict()) == ["module.weight", "module.bias"]


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(module="net"), TypeError, r"DistributedDataParallel\(module\) needs an nn.Module; got str"),
    (dict(bucket_cap_mb=0), ValueError, r"bucket_cap_mb\) must be a number > 0 \(MiB\); got 0"),
    (dict(bucket_cap_mb=True), ValueError, "got True"),
    (dict(world=object()), TypeError, r"world\) must be a Communicator; got object"),
])
def test_bad_arguments(kwargs, err, msg):
    args = dict(module=nn.Linear(2, 1), world=LocalCommunicator()) | kwargs
    with pytest.raises(err, match=msg):
        DDP(**args)
