"""End to end: an nn model trained by each optimizer plus a scheduler follows torch.optim.

The model, loss and backward are xpnet's; the same start, data and
hyper-parameters are given to PyTorch.  In float64 the weights agree to
rounding after 8 steps (1e-12 leaves >1e3 ulps for the different summation
orders of the matmuls; a wrong optimizer term would show at 1e-3).
"""
import numpy
import pytest

import xpnet
from xpnet import nn, optim

CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


@pytest.mark.parametrize("name, options", CASES, ids=[c[0] for c in CASES])
def test_mlp_with_cosine_schedule_matches_torch(backend_name, name, options):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(0)
    x, target = rng.standard_normal((32, 6)), rng.standard_normal((32, 3))
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).to(xpnet.float64)
    tmodel = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, tp in zip(model.parameters(), tmodel.parameters()):
            tp.copy_(torch.tensor(p.numpy()))
    opt = getattr(optim, name)(model.parameters(), **options)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **options)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=1e-3)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=4, eta_min=1e-3)
    xt, tt = xpnet.tensor(x), xpnet.tensor(target)
    for _ in range(8):
        opt.zero_grad()
        ((model(xt) - tt) ** 2).mean().backward()
        opt.step()
        sched.step()
        topt.zero_grad()
        ((tmodel(torch.tensor(x)) - torch.tensor(target)) ** 2).mean().backward()
        topt.step()
        tsched.step()
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        numpy.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-12, atol=1e-12)
