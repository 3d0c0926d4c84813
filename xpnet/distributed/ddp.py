"""``DistributedDataParallel``: the same model on every rank, gradients averaged after ``backward()``.

Data-parallel SGD: each of the ``R`` ranks holds a replica of the model,
computes the loss on its own shard of the global batch (``B / R`` samples)
and the gradient ``g_r``; then every rank's gradients are replaced by their
mean ``(g_0 + ... + g_{R-1}) / R``, so every rank takes the same optimizer step
and the replicas stay identical.  With a loss that is a mean over the batch,
the mean of the shard means is the mean over the global batch: R ranks with
batch ``B / R`` compute what one process with batch ``B`` would.

The wrapper is transparent to the training loop::

    model = DistributedDataParallel(net)      # broadcasts rank 0's parameters and buffers
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in loader:                       # each rank's shard
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()                       # ... and .grad now holds the mean over ranks
        opt.step()

How: in training mode the forward marks its output tensors with an identity
node whose backward queues :meth:`_reduce_gradients` to run when the backward
pass has finished (:func:`xpnet.autograd.function.queue_callback`, PyTorch's
DDP uses the engine's ``queue_callback`` the same way).  The reduction packs
the gradients into flat buckets of one dtype and at most ``bucket_cap_mb`` MiB
(25, as PyTorch), in parameter order, one all-reduce per bucket
(:mod:`xpnet.distributed.buckets`), and divides by the world size.

Rules (as PyTorch's DDP unless said):

* Parameters without a gradient after ``backward()`` take part with zeros,
  and every parameter that requires grad gets the reduced ``.grad`` (zeros
  where no rank used it) — so all ranks stay identical; PyTorch instead
  raises for unused parameters unless ``find_unused_parameters=True``.
* Batch norm uses per-rank statistics in training (each rank normalizes with
  its own ``B / R`` samples; there is no SyncBatchNorm).  With
  ``broadcast_buffers=True`` (default) every training-mode forward ends by
  copying rank 0's buffers (running mean/var, just updated with rank 0's
  batch) to all ranks, so evaluation and checkpoints agree everywhere
  (PyTorch copies them at the start of the forward instead, so after the last
  step each rank keeps the statistics of its own last batch).
* A forward in eval mode, or under ``no_grad()``, communicates nothing: rank 0
  may evaluate alone.  Every training-mode forward and backward must run on
  all ranks (a rank that skips one makes the others wait).
* :meth:`no_sync` skips the reduction, for gradient accumulation over micro-batches.
* ``state_dict()`` keys start with ``module.``; checkpoint ``model.module.state_dict()``.
* With one process (world size 1) the wrapper only forwards.

See also: :func:`xpnet.distributed.init`, ``DataLoader(num_replicas=, rank=)``.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from ..autograd import Tensor, is_grad_enabled
from ..autograd.function import queue_callback, record
from ..nn.module import Module
from .buckets import DEFAULT_BUCKET_CAP_MB, MB, reduce_in_buckets
from .comm import get_world
from .communicator import Communicator


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training (see the module docstring).

    Args:
        module: the model; its parameters must have the same shapes and dtypes on every rank.
        bucket_cap_mb: the largest bucket of gradients sent in one message, in MiB (> 0).
        broadcast_buffers: copy rank 0's buffers to all ranks at each training-mode forward.
        world: the :class:`Communicator` (default: :func:`xpnet.distributed.init`'s).

    After each training-mode ``backward()`` every trainable parameter's
    ``.grad`` is ``(g_0 + ... + g_{R-1}) / R``.  Below, a one-process stand-in
    for two ranks (its sum adds nothing, as if rank 1's gradients were 0):

    >>> import xpnet
    >>> from xpnet.distributed import LocalCommunicator
    >>> world = LocalCommunicator(); world.world_size = 2
    >>> model = DistributedDataParallel(xpnet.nn.Linear(3, 2), world=world)
    >>> model(xpnet.ones(4, 3)).sum().backward()     # this rank: bias.grad = [4, 4]
    >>> model.module.bias.grad.numpy()               # ([4, 4] + [0, 0]) / 2
    array([2., 2.], dtype=float32)
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module: Module, bucket_cap_mb: float = DEFAULT_BUCKET_CAP_MB,
                 broadcast_buffers: bool = True, world: Optional[Communicator] = None):
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel(module) needs an nn.Module; got "
                            f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel(bucket_cap_mb) must be a number > 0 "
                             f"(MiB); got {bucket_cap_mb!r}")
        if world is not None and not isinstance(world, Communicator):
            raise TypeError(f"DistributedDataParallel(world) must be a Communicator; got "
                            f"{type(world).__name__}")
        super().__init__()
        self.module = module
        self.world = get_world() if world is None else world
        self.bucket_cap_bytes = int(bucket_cap_mb * MB)
        self.broadcast_buffers = bool(broadcast_buffers)
        self.require_backward_grad_sync = True
        self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))

    def _broadcast_from_rank0(self, tensors: List[Tensor]) -> None:
        """Give ``tensors`` rank 0's values on every rank (in buckets)."""
        if self.world.world_size == 1 or not tensors:
            return
        world = self.world
        values = reduce_in_buckets([t.data for t in tensors], self.bucket_cap_bytes,
                                   tensors[0].backend, world, lambda buf: world.broadcast_(buf, 0))
        for t, value in zip(tensors, values):
            t.data = value

    def _reduce_gradients(self) -> None:
        """Replace every trainable parameter's ``.grad`` by its mean over the ranks."""
        params = [p for p in self.module.parameters() if p.requires_grad]
        if not params:
            return
        backend = params[0].backend
        grads = [p.grad.data if p.grad is not None
                 else backend.xp.zeros(p.shape, dtype=p.data.dtype) for p in params]
        means = reduce_in_buckets(grads, self.bucket_cap_bytes, backend, self.world,
                                  self.world.all_reduce_sum_, divisor=self.world.world_size)
        for p, g in zip(params, means):
            p.grad = Tensor(g, backend)

    def _mark(self, out: Any) -> Any:
        """``out`` with each tensor that requires grad passed through a node that queues the reduction."""
        if isinstance(out, Tensor):
            if not out.requires_grad:
                return out

            def backward(g):
                queue_callback(self._reduce_gradients)  # once per pass, however many outputs
                return (g,)
            return record(out.data, (out,), backward)
        if isinstance(out, (tuple, list)):
            return type(out)(self._mark(o) for o in out)
        if isinstance(out, dict):
            return {k: self._mark(v) for k, v in out.items()}
        return out

    def forward(self, *args, **kwargs):
        synced = self.world.world_size > 1 and self.training and is_grad_enabled()
        out = self.module(*args, **kwargs)
        if synced and self.broadcast_buffers:  # after the forward has updated them with this rank's batch
            self._broadcast_from_rank0(list(self.module.buffers()))
        return self._mark(out) if synced and self.require_backward_grad_sync else out

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward passes accumulate local gradients without averaging them.

        The first backward after the block averages everything accumulated.

        >>> import xpnet
        >>> model = DistributedDataParallel(xpnet.nn.Linear(2, 1))
        >>> x = xpnet.ones(1, 2)
        >>> with model.no_sync():                # micro-batch 1: local accumulation only
        ...     model(x).sum().backward()
        >>> model(x).sum().backward()            # micro-batch 2: averages the accumulated sum
        >>> model.module.bias.grad.numpy()
        array([2.], dtype=float32)
        """
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return (f"world_size={self.world.world_size}, "
                f"bucket_cap_mb={self.bucket_cap_bytes / MB:g}, "
                f"broadcast_buffers={self.broadcast_buffers}")


__all__ = ["DistributedDataParallel"]
