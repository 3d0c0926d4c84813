"""``BatchNorm1d`` / ``BatchNorm2d`` (see :func:`xpnet.nn.functional.batch_norm`)."""
from __future__ import annotations

from ..autograd.factory import ones, zeros
from ..dtypes import floating_dtype
from .functional.batchnorm import batch_norm
from .functional.loss import check_number
from .module import Module, Parameter


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d, which differ only in the input ranks they accept.

    Learnable ``weight`` (init 1) and ``bias`` (init 0) if ``affine``; buffers
    ``running_mean`` (0), ``running_var`` (1) and ``num_batches_tracked`` if
    ``track_running_stats``.  In training mode the batch statistics normalize
    and the running estimates move by ``momentum`` (``None``: cumulative
    average, ``1 / num_batches_tracked``); in eval mode the running estimates
    normalize.  Without running stats, batch statistics are used in both modes.
    """
    _ranks = ()
    _expected = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=None):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int; got {num_features!r}")
        check_number(name, "eps", eps, low=0, low_open=True)
        if momentum is not None:  # None: a cumulative average
            check_number(name, "momentum", momentum, low=0.0, high=1.0)
        self.num_features, self.eps, self.momentum = num_features, float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = floating_dtype(dtype, f"{name}(dtype=...)")
        self.weight = Parameter(ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(zeros(num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", zeros(1, dtype="int64").reshape(()))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            raise ValueError(f"{name}(num_features={self.num_features}) got input of shape "
                             f"{tuple(x.shape)}; expected {self._expected.format(C=self.num_features)}")
        track = self.track_running_stats
        update = self.training and track
        momentum = 0.0 if self.momentum is None else self.momentum
        if update and self.momentum is None:  # cumulative average, this batch included
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        y = batch_norm(x, self.running_mean if track else None,
                       self.running_var if track else None, self.weight, self.bias,
                       self.training or not track, momentum, self.eps, layer=name)
        if update:  # counted once the functional has accepted the batch
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input, as ``torch.nn.BatchNorm1d``.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * γ + β`` per channel C.  Training:
    batch statistics over N (and L), with the *biased* variance; the running
    estimates move by ``momentum`` towards the mean and the *unbiased*
    variance.  Eval: the running estimates.  ``γ = weight`` (init 1),
    ``β = bias`` (init 0) if ``affine``.  Output shape = input shape.

    >>> import xpnet
    >>> from xpnet import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> bn(xpnet.tensor([[1.0, 10.0], [3.0, 30.0]])).numpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean.tolist(), bn.running_var.tolist()
    ([0.20000000298023224, 2.0], [1.100000023841858, 20.899999618530273])

    See also: :func:`xpnet.nn.functional.batch_norm`, :class:`BatchNorm2d`.
    """
    _ranks = (2, 3)
    _expected = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, as ``torch.nn.BatchNorm2d``.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * γ + β`` per channel C, the
    statistics over N, H and W; biased variance to normalize, unbiased in
    the running estimate, as :class:`BatchNorm1d`.  Output shape = input shape.

    >>> import xpnet
    >>> from xpnet import nn
    >>> _ = xpnet.manual_seed(0)
    >>> bn = nn.BatchNorm2d(3)
    >>> y = bn(xpnet.randn(4, 3, 5, 5) * 2 + 1)
    >>> y.shape, y.mean(dim=(0, 2, 3)).abs().max().item() < 1e-6
    ((4, 3, 5, 5), True)
    >>> bn.eval()(xpnet.zeros(1, 3, 2, 2)).shape          # eval: running statistics
    (1, 3, 2, 2)

    See also: :func:`xpnet.nn.functional.batch_norm`.
    """
    _ranks = (4,)
    _expected = "(N, {C}, H, W)"
