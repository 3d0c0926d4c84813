"""Shared machinery of the optimizer tests: drive an xpnet optimizer on fixed gradients.

The reference trajectories themselves are NOT here: each test file writes its
own float64 NumPy loop of the documented formula, independent of the code
under test.
"""
import numpy
import pytest

import xpnet

N_STEPS = 5
SHAPE = (3, 4)
# float32 steps round to ~6e-8 relative per operation; after N_STEPS steps of a
# handful of operations each, 1e-5 relative (1e-6 absolute, parameters are
# O(1)) leaves ~10x headroom, while any wrong term (a missing (1 - dampening),
# bias correction, eps placement) changes the trajectory by >1e-3.
# float64 agrees with the float64 reference to rounding: 1e-12.
TRAJ_TOL = {numpy.dtype("float32"): dict(rtol=1e-5, atol=1e-6),
            numpy.dtype("float64"): dict(rtol=1e-12, atol=1e-13)}
DTYPES = [numpy.float32, numpy.float64]
# a learning rate that changes every step, to pin down where lr enters the rule
LRS = [0.1, 0.05, 0.2, 0.02, 0.1]


def problem(seed=0, n_steps=N_STEPS, shape=SHAPE):
    """A starting point and a fixed sequence of gradients (float64, host)."""
    rng = numpy.random.default_rng(seed)
    p0 = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(n_steps)]
    return p0, grads


def set_grad(p, g):
    """Give parameter ``p`` the host gradient ``g`` (cast to ``p``'s dtype)."""
    p.grad = xpnet.tensor(numpy.asarray(g, dtype=p.dtype))


def run(make_optimizer, p0, grads, dtype, lrs=None):
    """Run ``make_optimizer([p])`` on ``p = p0`` (as ``dtype``) over ``grads``.

    ``lrs[t]``, if given, is written to ``param_groups[0]["lr"]`` before step
    ``t`` (as a scheduler would).  Returns the host copies of the parameter after each step, in float64, and
    the optimizer.
    """
    p = xpnet.tensor(numpy.asarray(p0, dtype=dtype), requires_grad=True)
    opt = make_optimizer([p])
    out = []
    for t, g in enumerate(grads):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[t]
        set_grad(p, g)
        opt.step()
        assert p.dtype == numpy.dtype(dtype), "the step changed the parameter's dtype"
        assert p.backend.is_array(p.data), "the step left a foreign array in p.data"
        out.append(p.numpy().astype(numpy.float64))
    return out, opt, p


def assert_trajectory(actual, expected, dtype):
    """Compare a trajectory step by step, naming the first step that differs."""
    assert len(actual) == len(expected)
    for t, (a, e) in enumerate(zip(actual, expected), start=1):
        numpy.testing.assert_allclose(a, e, err_msg=f"after step {t}", **TRAJ_TOL[numpy.dtype(dtype)])


def cast_problem(p0, grads, dtype):
    """The inputs as the optimizer sees them: rounded to ``dtype``, then float64 for the reference."""
    r = lambda a: numpy.asarray(a, dtype=dtype).astype(numpy.float64)
    return r(p0), [r(g) for g in grads]


def torch_trajectory(torch_optimizer_class, p0, grads, dtype, lrs=None, **kwargs):
    """The trajectory of ``torch.optim.<class>`` on the same inputs (for cross-checks)."""
    import torch
    tdtype = {numpy.dtype("float32"): torch.float32, numpy.dtype("float64"): torch.float64}[numpy.dtype(dtype)]
    p = torch.tensor(numpy.asarray(p0, dtype=dtype), dtype=tdtype, requires_grad=True)
    opt = torch_optimizer_class([p], **kwargs)
    out = []
    for t, g in enumerate(grads):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[t]
        p.grad = torch.tensor(numpy.asarray(g, dtype=dtype), dtype=tdtype)
        opt.step()
        out.append(p.detach().numpy().astype(numpy.float64))
    return out


def check_reference(make_optimizer, reference, dtype, lrs=LRS, **options):
    """Run ``make_optimizer`` on :func:`problem` and compare, step by step, with
    ``reference(p0, grads, lrs, **options)`` on the same inputs rounded to ``dtype``.

    Returns the optimizer and the parameter, for checks of the state.
    """
    p0, grads = problem()
    got, opt, p = run(make_optimizer, p0, grads, dtype, lrs=lrs)
    assert_trajectory(got, reference(*cast_problem(p0, grads, dtype), lrs, **options), dtype)
    return opt, p


def check_torch(make_optimizer, torch_name, dtype, lrs=LRS, **options):
    """Run ``make_optimizer`` and ``torch.optim.<torch_name>(**options)`` on the same
    inputs and compare the trajectories (skipped without PyTorch)."""
    torch = pytest.importorskip("torch")
    p0, grads = problem(seed=1)
    got, _, _ = run(make_optimizer, p0, grads, dtype, lrs=lrs)
    expected = torch_trajectory(getattr(torch.optim, torch_name), p0, grads, dtype, lrs=lrs,
                                **options)
    assert_trajectory(got, expected, dtype)
