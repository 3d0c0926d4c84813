"""Module: registration, traversal, modes, to(), state_dict round trips, validation, repr."""
from collections import OrderedDict

import numpy
import pytest

import xpnet
from xpnet import nn
from tolerances import assert_close


class Block(nn.Module):
    """A module with every kind of member: parameters, a child, buffers of both kinds."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(xpnet.ones(3))
        self.inner = nn.Linear(3, 2)
        self.register_buffer("running", xpnet.zeros(3))
        self.register_buffer("steps", xpnet.tensor(0))
        self.register_buffer("scratch", xpnet.zeros(3), persistent=False)
        self.note = "plain attribute"

    def forward(self, x):
        return self.inner(x * self.scale + self.running)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Block()
        self.b = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))

    def forward(self, x):
        return self.b(self.a(x))


def test_registration_and_traversal(backend_name):
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "a.scale", "a.inner.weight", "a.inner.bias", "b.0.weight", "b.0.bias", "b.2.weight",
        "b.2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["a.running", "a.steps", "a.scratch"]
    assert [n for n, _ in net.a.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_modules()] == ["", "a", "a.inner", "b", "b.0", "b.1", "b.2"]
    assert list(net.children()) == [net.a, net.b]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.a.note == "plain attribute" and "note" not in net.a._parameters
    assert {"scale", "inner", "running"} <= set(dir(net.a))


def test_shared_parameters_and_modules_listed_once(backend_name):
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3  # seq, shared, relu
    # state_dict lists every path, as PyTorch
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_assignment_rules(backend_name):
    block = Block()
    with pytest.raises(TypeError, match="parameter 'scale'.*nn.Parameter"):
        block.scale = xpnet.ones(3)
    with pytest.raises(TypeError, match="buffer 'running'.*Tensor"):
        block.running = [0.0, 0.0, 0.0]
    new = xpnet.ones(3)
    block.running = new  # a Tensor replaces a buffer
    assert block.running is new and "running" in block._buffers
    block.scale = None
    assert block.scale is None
    assert [n for n, _ in block.named_parameters(recurse=False)] == []
    block.note = nn.Parameter(xpnet.zeros(1))  # a plain attribute becomes a parameter
    assert [n for n, _ in block.named_parameters(recurse=False)] == ["note"]
    del block.note
    assert not hasattr(block, "note")
    with pytest.raises(KeyError, match="already an attribute"):
        block.register_buffer("training", xpnet.zeros(1))
    with pytest.raises(KeyError, match="'.'"):
        block.register_buffer("a.b", xpnet.zeros(1))
    with pytest.raises(TypeError, match="Tensor or None"):
        block.register_buffer("x", numpy.zeros(1))
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        block.missing


def test_assigning_before_init_is_explained():
    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(xpnet.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgot()


def test_call_forward_and_missing_forward(backend_name):
    net = Net()
    x = xpnet.randn(4, 3)
    assert_close(net(x), net.forward(x).numpy())
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(x)


def test_train_eval_recursive(backend_name):
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_zero_grad(backend_name):
    net = Net()
    net(xpnet.randn(2, 3)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_first(backend_name):
    seen = []
    net = Net()
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Block", "Linear", "ReLU", "Linear", "Sequential", "Net"]


def test_to_dtype_in_place_keeps_parameter_objects(backend_name):
    net = Net()
    net(xpnet.randn(2, 3)).sum().backward()
    params = list(net.parameters())
    before = [p.numpy() for p in params]
    assert net.to(xpnet.float64) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    for p, b in zip(params, before):
        assert p.dtype == numpy.float64 and p.grad.dtype == numpy.float64 and p.requires_grad
        numpy.testing.assert_array_equal(p.numpy(), b)
    assert net.a.running.dtype == numpy.float64 and net.a.scratch.dtype == numpy.float64
    assert net.a.steps.dtype == numpy.int64  # integer buffers are not cast
    y = net(xpnet.randn(2, 3, dtype=xpnet.float64))
    assert y.dtype == numpy.float64
    net.float()
    assert all(p.dtype == numpy.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="floating dtypes only; got int64"):
        net.to(xpnet.int64)
    with pytest.raises(TypeError, match="backend name .* or a floating dtype"):
        net.to("gpu0")


def test_to_backend_round_trip():
    with xpnet.use_backend("numpy"):
        xpnet.manual_seed(0)
        net = Net()
        x = numpy.random.default_rng(0).standard_normal((4, 3)).astype(numpy.float32)
        expected = net(xpnet.tensor(x)).numpy()
        params = list(net.parameters())
    net.to("array_api_strict")
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(t.backend.name == "array_api_strict" for t in list(net.parameters())
               + list(net.buffers()))
    with xpnet.use_backend("array_api_strict"):
        out = net(xpnet.tensor(x))
        out.sum().backward()
    assert out.backend.name == "array_api_strict"
    assert_close(out, expected)
    net.to("numpy", dtype=xpnet.float64)
    assert all(p.backend.name == "numpy" and p.dtype == numpy.float64 and
               p.grad.backend.name == "numpy" for p in net.parameters())
    assert_close(net(xpnet.tensor(x.astype(numpy.float64))), expected.astype(numpy.float64),
                 "float32")


def test_state_dict_contents(backend_name):
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["a.scale", "a.running", "a.steps", "a.inner.weight", "a.inner.bias",
                        "b.0.weight", "b.0.bias", "b.2.weight", "b.2.bias"]  # no 'a.scratch'
    assert all(not t.requires_grad and not isinstance(t, nn.Parameter) for t in sd.values())
    numpy.testing.assert_array_equal(sd["a.inner.weight"].numpy(), net.a.inner.weight.numpy())


@pytest.mark.parametrize("as_numpy", [False, True], ids=["tensors", "numpy"])
def test_load_state_dict_round_trip(backend_name, as_numpy):
    xpnet.manual_seed(1)
    src = Net()
    src.a.running.data = src.a.running.data + 0.5
    xpnet.manual_seed(2)
    dst = Net()
    sd = src.state_dict()
    if as_numpy:
        sd = {k: v.numpy() for k, v in sd.items()}
    params = list(dst.parameters())
    result = dst.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [id(p) for p in dst.parameters()] == [id(p) for p in params]
    x = xpnet.randn(3, 3)
    numpy.testing.assert_array_equal(dst(x).numpy(), src(x).numpy())
    for (k, a), b in zip(dst.state_dict().items(), src.state_dict().values()):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_load_state_dict_across_backends_and_dtypes():
    with xpnet.use_backend("numpy"):
        src = Net().double()
        sd = src.state_dict()
    with xpnet.use_backend("array_api_strict"):
        dst = Net()
    dst.load_state_dict(sd)  # numpy float64 tensors into strict float32 parameters
    assert dst.a.inner.weight.backend.name == "array_api_strict"
    assert dst.a.inner.weight.dtype == numpy.float32
    numpy.testing.assert_array_equal(dst.a.inner.weight.numpy(),
                                     sd["a.inner.weight"].numpy().astype(numpy.float32))


def _snapshot(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


def test_load_state_dict_wrong_shape_changes_nothing(backend_name):
    dst = Net()
    before = _snapshot(dst)
    sd = {k: v.numpy() + 1 for k, v in Net().state_dict().items()}
    sd["b.2.weight"] = numpy.zeros((2, 4), numpy.float32)  # last key: all others were valid
    with pytest.raises(ValueError) as err:
        dst.load_state_dict(sd)
    msg = str(err.value)
    assert "'b.2.weight'" in msg and "expected shape (1, 4)" in msg and "got shape (2, 4)" in msg
    for k, v in _snapshot(dst).items():
        numpy.testing.assert_array_equal(v, before[k], err_msg=k)
    # the size check applies with strict=False too (as PyTorch)
    with pytest.raises(ValueError, match="b.2.weight"):
        dst.load_state_dict(sd, strict=False)


def test_load_state_dict_keys_and_dtypes(backend_name):
    dst = Net()
    before = _snapshot(dst)
    sd = {k: v.numpy() for k, v in Net().state_dict().items()}
    del sd["a.scale"]
    sd["a.extra"] = numpy.zeros(1)
    with pytest.raises(ValueError, match="missing key 'a.scale'.*unexpected key 'a.extra'"):
        dst.load_state_dict(sd)
    assert all(numpy.array_equal(v, before[k]) for k, v in _snapshot(dst).items())
    result = dst.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["a.scale"] and result.unexpected_keys == ["a.extra"]
    numpy.testing.assert_array_equal(dst.a.scale.numpy(), before["a.scale"])  # kept
    numpy.testing.assert_array_equal(dst.b[0].bias.numpy(), sd["b.0.bias"])  # loaded

    bad = {k: v.numpy() for k, v in Net().state_dict().items()}
    bad["a.steps"] = numpy.array(1.5)  # float into an integer counter would truncate
    with pytest.raises(ValueError, match="cannot cast float64 to the module's int64"):
        dst.load_state_dict(bad)
    bad["a.steps"] = [1]
    with pytest.raises(ValueError, match="'a.steps' must be a Tensor or a NumPy array; got list"):
        dst.load_state_dict(bad)
    with pytest.raises(TypeError, match="mapping"):
        dst.load_state_dict([("a.scale", numpy.ones(3))])


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 2, bias=False),
                                                                   nn.Tanh()), nn.Flatten())
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(8, 2, bias=False),
                                                     torch.nn.Tanh()), torch.nn.Flatten())
    assert repr(ours) == repr(theirs)


def test_parameter_construction(backend_name):
    t = xpnet.ones(2, 2)
    p = nn.Parameter(t)
    assert p.data is t.data and p.requires_grad and p.is_leaf  # shares the array, as PyTorch
    assert repr(p).startswith("Parameter containing:\ntensor(")
    q = nn.Parameter(numpy.zeros(3), requires_grad=False)
    assert q.dtype == numpy.float64 and not q.requires_grad and q.backend.name == backend_name
    assert (p * 2).__class__ is xpnet.Tensor  # results of ops are plain tensors


def test_deepcopy_and_pickle_keep_the_registered_backend():
    # tensors compare backends by identity: a copied model must still run
    import copy
    import pickle
    model = nn.Linear(3, 2)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.weight.backend is model.weight.backend
        out = clone(xpnet.randn(4, 3))
        assert out.shape == (4, 2)
