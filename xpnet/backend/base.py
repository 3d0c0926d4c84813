"""The one Backend interface: every backend implements exactly these methods.

A backend is an array namespace (``.xp``, Array API standard functions) plus a
small set of operations the standard does not cover well: moving data to and
from the host, scatter-add for indexing gradients, and the hot ops
(convolution and batch normalization) that the GPU backend runs as our own
CUDA kernels.  Layer, loss and optimizer code only ever touches ``backend.xp``
and these methods, never ``numpy`` or ``cupy`` directly.

``tests/backend/test_interface.py`` checks that every backend class exposes
the same public methods with the same signatures as this base class.

Conventions shared by all hot ops
---------------------------------
* Layout is NCHW (batch, channels, height, width); weights are
  ``(K, C // groups, R, S)`` (out channels, in channels per group, kernel
  height, kernel width), as in PyTorch.
* ``stride``, ``padding`` and ``dilation`` are pairs of Python ints
  ``(along H, along W)``; padding is symmetric (zeros), asymmetric padding is
  done by the caller with an explicit pad.
* The output size along H is ``P = (H + 2*pad_h - dil_h*(R - 1) - 1) // stride_h + 1``
  (likewise ``Q`` along W).
* Batch-norm inputs are ``(N, C)`` or ``(N, C, *spatial)``; statistics are
  per channel ``C`` over all other axes.  Returned arrays have the dtype of
  ``x``; nothing the caller passed is modified except the running statistics
  that ``batch_norm_forward_train`` is documented to update in place.
"""
from __future__ import annotations

import abc
from typing import Any, Optional, Sequence, Tuple

import numpy

Pair = Tuple[int, int]


class Backend(abc.ABC):
    """Abstract backend: an array namespace ``xp`` plus the ops below.  Subclasses set ``name`` and ``xp``.

    Get the instances with :func:`xpnet.get_backend`; every op takes and returns
    arrays of ``xp`` (not Tensors) with the shapes stated in its docstring.

    >>> import xpnet
    >>> be = xpnet.get_backend("numpy")
    >>> be.name, be.xp.__name__
    ('numpy', 'numpy')
    >>> x = be.asarray([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=xpnet.float32)   # (N, C, H, W)
    >>> w = be.xp.ones((2, 1, 1, 1), dtype=be.xp.float32)                   # (K, C, R, S)
    >>> be.conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1).shape
    (1, 2, 2, 2)
    >>> be.to_numpy(be.add_at((3,), be.asarray([0, 0, 2]), be.asarray([1.0, 1.0, 5.0])))
    array([2., 0., 5.])
    """

    #: registry name, e.g. ``"numpy"``
    name: str = ""
    #: the Array API namespace arrays of this backend belong to
    xp: Any = None

    # ------------------------------------------------------------------ #
    # availability and data movement
    # ------------------------------------------------------------------ #
    @classmethod
    @abc.abstractmethod
    def unavailable_reason(cls) -> Optional[str]:
        """``None`` if this backend can run here, else a sentence saying why not."""

    def is_array(self, a: Any) -> bool:
        """True if ``a`` is an array of this backend's namespace.

        The default suits namespaces with an ``ndarray`` type (NumPy, CuPy).

        >>> import xpnet
        >>> be = xpnet.get_backend("numpy")
        >>> be.is_array(be.asarray([1.0])), be.is_array([1.0])
        (True, False)
        """
        return isinstance(a, self.xp.ndarray)

    def asarray(self, data: Any, dtype: Optional[numpy.dtype] = None) -> Any:
        """A new array of this backend holding a copy of ``data``.

        ``data`` is a host NumPy array, a Python scalar or (nested) list, or an
        array of this backend.  ``dtype`` is a NumPy dtype (``None`` keeps the
        dtype of ``data``).  The default suits namespaces whose ``array`` takes
        ``copy=`` (NumPy, CuPy).

        >>> import numpy, xpnet
        >>> host = numpy.zeros(2)
        >>> a = xpnet.get_backend("numpy").asarray(host, dtype=xpnet.float32)
        >>> a.dtype, a is host
        (dtype('float32'), False)
        """
        return self.xp.array(data, dtype=dtype, copy=True)

    @abc.abstractmethod
    def to_numpy(self, a: Any) -> numpy.ndarray:
        """A host NumPy copy of the array ``a``."""

    def dtype_of(self, a: Any) -> numpy.dtype:
        """The dtype of array ``a`` as a NumPy dtype (the dtype names xpnet uses).

        >>> import xpnet
        >>> be = xpnet.get_backend("numpy")
        >>> be.dtype_of(be.asarray([1, 2]))
        dtype('int64')
        """
        for name in ("float32", "float64", "float16", "int64", "int32", "int16",
                     "int8", "uint8", "bool"):
            if hasattr(self.xp, name) and a.dtype == getattr(self.xp, name):
                return numpy.dtype(name)
        raise TypeError(f"unsupported array dtype {a.dtype!r}")

    def xp_dtype(self, dtype: Any) -> Any:
        """The namespace's dtype object for a NumPy dtype (or dtype name).

        >>> import xpnet
        >>> xpnet.get_backend("numpy").xp_dtype("float32")
        <class 'numpy.float32'>
        """
        return getattr(self.xp, numpy.dtype(dtype).name)

    def synchronize(self) -> None:
        """Wait until all queued work on the device has finished (no-op on the CPU).

        Call it before reading a wall clock when timing GPU work.

        >>> import xpnet
        >>> xpnet.get_backend("numpy").synchronize()
        """

    def precompile(self) -> None:
        """Compile every kernel this backend launches, for every dtype (no-op without kernels).

        >>> import xpnet
        >>> xpnet.get_backend("numpy").precompile()

        See also: :func:`xpnet.backend.precompile`.
        """

    # ------------------------------------------------------------------ #
    # indexing
    # ------------------------------------------------------------------ #
    @abc.abstractmethod
    def add_at(self, shape: Sequence[int], index: Any, values: Any) -> Any:
        """``out = zeros(shape); out[index] += values`` with repeated indices summed.

        ``index`` is anything NumPy-style ``__getitem__`` accepts (ints, slices,
        integer or boolean arrays of this backend); this is the gradient of
        indexing.  Returns a new array with the dtype of ``values``.
        """

    # ------------------------------------------------------------------ #
    # hot ops: convolution
    # ------------------------------------------------------------------ #
    @abc.abstractmethod
    def conv2d_forward(self, x: Any, weight: Any, bias: Optional[Any],
                       stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Any:
        """Cross-correlation, as ``torch.nn.functional.conv2d``.

        ``y[n, k, p, q] = bias[k] + sum_{c, r, s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] * weight[k, c, r, s]``
        with ``g = k // (K // groups)`` and ``Cg = C // groups``; out-of-range
        input positions read as zero.

        x: (N, C, H, W); weight: (K, C // groups, R, S); bias: (K,) or None.
        Returns y: (N, K, P, Q).
        """

    @abc.abstractmethod
    def conv2d_backward_data(self, grad_out: Any, weight: Any, input_shape: Sequence[int],
                             stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Any:
        """Gradient of ``conv2d_forward`` with respect to ``x``.

        grad_out: (N, K, P, Q); weight: (K, C // groups, R, S);
        input_shape: (N, C, H, W).  Returns grad_x: (N, C, H, W).
        """

    @abc.abstractmethod
    def conv2d_backward_filter(self, grad_out: Any, x: Any, weight_shape: Sequence[int],
                               stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Any:
        """Gradient of ``conv2d_forward`` with respect to ``weight``.

        grad_out: (N, K, P, Q); x: (N, C, H, W); weight_shape: (K, C // groups, R, S).
        Returns grad_weight with shape ``weight_shape``.  (The bias gradient is
        ``grad_out.sum((0, 2, 3))`` and needs no op.)
        """

    # ------------------------------------------------------------------ #
    # hot ops: batch normalization
    # ------------------------------------------------------------------ #
    @abc.abstractmethod
    def batch_norm_forward_train(self, x: Any, weight: Optional[Any], bias: Optional[Any],
                                 running_mean: Optional[Any], running_var: Optional[Any],
                                 momentum: float, eps: float) -> Tuple[Any, Any, Any]:
        """Batch norm with batch statistics, as PyTorch in training mode.

        Per channel c over the m = N * prod(spatial) values:
        ``mean = sum(x) / m``, ``var = sum((x - mean)^2) / m`` (biased),
        ``invstd = 1 / sqrt(var + eps)``,
        ``y = (x - mean) * invstd * weight + bias``.
        Statistics are computed stably (no E[x^2] - E[x]^2).
        If ``running_mean``/``running_var`` are given they are updated in place:
        ``running_mean = (1 - momentum) * running_mean + momentum * mean``,
        ``running_var  = (1 - momentum) * running_var + momentum * var * m / (m - 1)``
        (unbiased variance, as PyTorch).

        x: (N, C, *); weight, bias, running_*: (C,) or None (None = 1 and 0).
        Returns (y like x, save_mean (C,), save_invstd (C,)).
        """

    @abc.abstractmethod
    def batch_norm_forward_inference(self, x: Any, weight: Optional[Any], bias: Optional[Any],
                                     running_mean: Any, running_var: Any, eps: float) -> Any:
        """``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`` per channel.

        x: (N, C, *); the others (C,) (weight/bias may be None).  Returns y like x.
        """

    @abc.abstractmethod
    def batch_norm_backward(self, grad_out: Any, x: Any, weight: Optional[Any],
                            save_mean: Any, save_invstd: Any) -> Tuple[Any, Any, Any]:
        """Gradients of ``batch_norm_forward_train`` (batch statistics).

        With ``xhat = (x - save_mean) * save_invstd`` and sums over all axes but C:
        ``grad_bias = sum(dy)``, ``grad_weight = sum(dy * xhat)``,
        ``grad_x = weight * invstd / m * (m * dy - grad_bias - xhat * grad_weight)``.

        grad_out, x: (N, C, *); weight: (C,) or None.
        Returns (grad_x like x, grad_weight (C,), grad_bias (C,)).
        """

    def __repr__(self) -> str:
        return f"<xpnet backend {self.name!r}>"

    def __reduce__(self):
        # copy.deepcopy and pickle of a model must keep pointing at the one
        # registered instance: tensors compare backends by identity
        from . import get_backend
        return (get_backend, (self.name,))
