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
    """Batch norm over (N, C) or (N, C, L) input, as ``torch.nn.BatchNorm1d``."""
    _ranks = (2, 3)
    _expected = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, as ``torch.nn.BatchNorm2d``."""
    _ranks = (4,)
    _expected = "(N, {C}, H, W)"
