"""``Tensor``: an array of one backend plus what autograd needs to differentiate it.

A tensor holds ``data`` (a NumPy, CuPy or other Array API array), the
``backend`` it lives on, and, when it was computed from tensors that require
gradients, the function that maps the gradient of its value to the gradients
of its inputs (``_backward``) and those inputs (``_parents``).
``backward()`` runs the reverse sweep (:func:`~xpnet.autograd.function.run_backward`).

>>> import xpnet
>>> w = xpnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad.numpy()
array([2., 4., 6.], dtype=float32)
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy

from ..backend import Backend, get_backend
from ..dtypes import as_dtype, is_floating
from . import function
from .ops import arith, reduce, shape, unary
from .ops.promotion import promote


class Tensor:
    """An n-dimensional array on one backend that can record operations for autograd.

    Create tensors with :func:`xpnet.tensor` or the factories (``zeros``,
    ``randn``, ...); ``Tensor(data, backend)`` wraps an existing array of
    ``backend`` without copying.  Operators (``+ - * / ** @``, comparisons,
    indexing) and the methods below follow PyTorch, broadcasting as NumPy.

    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x @ x.T).sum()
    >>> y.backward()
    >>> x.shape, x.dtype, x.grad.tolist()
    ((2, 2), dtype('float32'), [[8.0, 12.0], [8.0, 12.0]])
    """

    __slots__ = ("data", "backend", "grad", "requires_grad", "_backward", "_parents",
                 "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, data: Any, backend: Optional[Backend] = None, requires_grad: bool = False):
        self.backend = get_backend(backend)
        if isinstance(data, numpy.generic):  # NumPy reductions return scalars, not 0-d arrays
            data = numpy.asarray(data)
        if not self.backend.is_array(data):
            raise TypeError(f"Tensor(data) needs an array of backend {self.backend.name!r}; "
                            f"got {type(data).__name__} (use xpnet.tensor(...) to convert)")
        self.data = data
        self.grad: Optional[Tensor] = None
        self._backward = None
        self._parents = ()
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ #
    # properties
    # ------------------------------------------------------------------ #
    @property
    def shape(self) -> tuple:
        """The shape as a tuple of ints (PyTorch's ``size()``).

        >>> import xpnet
        >>> xpnet.zeros(2, 3).shape
        (2, 3)
        """
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        """The number of axes.

        >>> import xpnet
        >>> xpnet.zeros(2, 3).ndim
        2
        """
        return self.data.ndim

    def size(self, dim=None):
        """The shape (as PyTorch's ``size()``), or the length of axis ``dim``.

        >>> import xpnet
        >>> x = xpnet.zeros(2, 3)
        >>> x.size(), x.size(-1)
        ((2, 3), 3)
        """
        if dim is None:
            return self.shape
        axis, = reduce.normalize_dims(dim, self.ndim, "dim")
        return self.shape[axis]

    def numel(self) -> int:
        """The number of elements (the product of the shape; 1 for a 0-d tensor).

        >>> import xpnet
        >>> xpnet.zeros(2, 3).numel()
        6
        """
        return math.prod(self.data.shape)

    def dim(self) -> int:
        """The number of axes (PyTorch's name for ``ndim``).

        >>> import xpnet
        >>> xpnet.zeros(2, 3).dim()
        2
        """
        return self.ndim

    @property
    def dtype(self) -> numpy.dtype:
        """The element type as a NumPy dtype, on every backend (``xpnet.float32``, ...).

        >>> import xpnet
        >>> xpnet.tensor([1, 2]).dtype
        dtype('int64')
        """
        return self.backend.dtype_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was computed by a recorded op (then it has a backward).

        >>> import xpnet
        >>> w = xpnet.ones(2, requires_grad=True)
        >>> w.is_leaf, (w * 2).is_leaf
        (True, False)
        """
        return self._backward is None

    @property
    def T(self) -> "Tensor":
        """The tensor with all axes reversed (the transpose of a matrix).

        >>> import xpnet
        >>> xpnet.zeros(2, 3).T.shape
        (3, 2)
        """
        return shape.permute(self, *reversed(range(self.ndim)))

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark a leaf tensor as needing ``.grad`` (floating dtypes only); returns ``self``.

        >>> import xpnet
        >>> xpnet.zeros(2).requires_grad_().requires_grad
        True
        """
        if requires_grad and not is_floating(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients; "
                            f"this one has dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ #
    # autograd
    # ------------------------------------------------------------------ #
    def backward(self, grad: Any = None, retain_graph: Optional[bool] = None) -> None:
        """Accumulate d(self)/d(leaf) * grad into ``.grad`` of every leaf that requires it.

        ``grad`` may be omitted for a one-element tensor (it is then 1).  As in
        PyTorch, the graph is freed by the pass: each node drops the arrays its
        backward saved as soon as it has run, and a second ``backward()``
        through it raises ``RuntimeError``; ``retain_graph=True`` keeps it for
        another pass (gradients then add up in ``.grad``).

        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad.tolist()
        [2.0, 4.0]
        >>> (3 * x).backward(xpnet.tensor([1.0, 0.5]))   # non-scalar: pass grad
        >>> x.grad.tolist()                              # accumulated
        [5.0, 5.5]
        """
        if retain_graph is not None and not isinstance(retain_graph, bool):
            raise TypeError(f"backward(retain_graph=...) must be True, False or None; "
                            f"got {retain_graph!r}")
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: nothing "
                               "it was computed from has requires_grad=True")
        xp = self.backend.xp
        if grad is None:
            if self.numel() != 1:
                raise ValueError(f"backward() without grad needs a one-element tensor; this one "
                                 f"has shape {self.shape} (pass grad= of that shape)")
            g = xp.ones_like(self.data)
        else:
            g = grad.data if isinstance(grad, Tensor) else self.backend.asarray(grad)
            if tuple(g.shape) != self.shape:
                raise ValueError(f"backward(grad) needs grad of shape {self.shape}; "
                                 f"got {tuple(g.shape)}")
            g = xp.astype(g, self.data.dtype)
        function.run_backward(self, g, retain_graph=bool(retain_graph))

    def _accumulate_grad(self, g) -> None:
        if self.grad is None:
            # a private, writable copy (``g * 1`` is a fresh array on every namespace):
            # ``g`` may be a read-only broadcast view, or the very array another leaf
            # receives (``a + b`` passes one ``g`` to both)
            self.grad = Tensor(g * 1, self.backend)
        else:
            self.grad = Tensor(self.grad.data + g, self.backend)

    def detach(self) -> "Tensor":
        """The same data without graph history (shares memory, as PyTorch).

        >>> import xpnet
        >>> x = xpnet.ones(2, requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False
        """
        return Tensor(self.data, self.backend)

    # ------------------------------------------------------------------ #
    # conversion
    # ------------------------------------------------------------------ #
    def numpy(self) -> numpy.ndarray:
        """A host NumPy copy of the data (from any backend).

        >>> import xpnet
        >>> xpnet.tensor([1.5, 2.0]).numpy()
        array([1.5, 2. ], dtype=float32)
        """
        return self.backend.to_numpy(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import xpnet
        >>> xpnet.tensor([[2.5]]).item()
        2.5
        """
        if self.numel() != 1:
            raise ValueError(f"item() needs a one-element tensor; this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of Python numbers.

        >>> import xpnet
        >>> xpnet.arange(4).reshape(2, 2).tolist()
        [[0, 1], [2, 3]]
        """
        return self.numpy().tolist()

    def to(self, target) -> "Tensor":
        """Move to backend ``target`` (a name) or cast to dtype ``target``.

        Moving copies through the host and keeps ``requires_grad`` (the result
        is a new leaf); casting is differentiable.

        >>> import xpnet
        >>> x = xpnet.tensor([1.7, -1.7])
        >>> x.to(xpnet.int64).tolist(), x.to("numpy").backend.name
        ([1, -1], 'numpy')
        """
        if isinstance(target, Backend) or (isinstance(target, str)
                                           and target in _backend_names()):
            dest = get_backend(target)
            if dest is self.backend:
                return self
            moved = Tensor(dest.asarray(self.numpy()), dest)
            return moved.requires_grad_(self.requires_grad)
        try:
            dtype = numpy.dtype(target)
        except TypeError:
            raise ValueError(f"to() takes a backend name ({', '.join(_backend_names())}) or "
                             f"a dtype; got {target!r}") from None
        return self if dtype == self.dtype else unary.astype(self, dtype)

    def float(self) -> "Tensor":
        """Cast to float32 (differentiable); ``self`` if it already is.

        >>> import xpnet
        >>> xpnet.tensor([1, 2]).float().dtype
        dtype('float32')
        """
        return self.to(numpy.float32)

    def double(self) -> "Tensor":
        """Cast to float64 (differentiable); ``self`` if it already is.

        >>> import xpnet
        >>> xpnet.tensor([1.0]).double().dtype
        dtype('float64')
        """
        return self.to(numpy.float64)

    def long(self) -> "Tensor":
        """Cast to int64, truncating toward zero (no gradient flows through ints).

        >>> import xpnet
        >>> xpnet.tensor([1.9, -1.9]).long().tolist()
        [1, -1]
        """
        return self.to(numpy.int64)

    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}, backend={self.backend.name!r}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ #
    # operators
    # ------------------------------------------------------------------ #
    def __add__(self, o): return arith.add(self, o)
    def __radd__(self, o): return arith.add(o, self)
    def __sub__(self, o): return arith.sub(self, o)
    def __rsub__(self, o): return arith.sub(o, self)
    def __mul__(self, o): return arith.mul(self, o)
    def __rmul__(self, o): return arith.mul(o, self)
    def __truediv__(self, o): return arith.div(self, o)
    def __rtruediv__(self, o): return arith.div(o, self)
    def __pow__(self, o): return arith.pow(self, o)
    def __rpow__(self, o): return arith.pow(o, self)
    def __matmul__(self, o): return arith.matmul(self, o)
    def __rmatmul__(self, o): return arith.matmul(o, self)
    def __neg__(self): return arith.neg(self)
    def __pos__(self): return self
    def __getitem__(self, index): return shape.getitem(self, index)

    def _compare(self, other, op):
        a, b = promote(*function.as_tensors(self, other))
        return Tensor(op(a.data, function.raw(b)), a.backend)

    def __eq__(self, o): return self._compare(o, lambda a, b: a == b)
    def __ne__(self, o): return self._compare(o, lambda a, b: a != b)
    def __lt__(self, o): return self._compare(o, lambda a, b: a < b)
    def __le__(self, o): return self._compare(o, lambda a, b: a <= b)
    def __gt__(self, o): return self._compare(o, lambda a, b: a > b)
    def __ge__(self, o): return self._compare(o, lambda a, b: a >= b)

    # ------------------------------------------------------------------ #
    # methods (PyTorch names)
    # ------------------------------------------------------------------ #
    def sum(self, dim=None, keepdim=False): return reduce.sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim=False): return reduce.mean(self, dim, keepdim)
    def max(self, dim=None, keepdim=False): return reduce.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return reduce.min(self, dim, keepdim)
    def reshape(self, *shape_): return shape.reshape(self, *shape_)
    view = reshape
    def transpose(self, dim0, dim1): return shape.transpose(self, dim0, dim1)
    def permute(self, *dims): return shape.permute(self, *dims)
    def flatten(self, start_dim=0, end_dim=-1): return shape.flatten(self, start_dim, end_dim)
    def unsqueeze(self, dim): return shape.unsqueeze(self, dim)
    def squeeze(self, dim=None): return shape.squeeze(self, dim)
    def exp(self): return unary.exp(self)
    def log(self): return unary.log(self)
    def sqrt(self): return unary.sqrt(self)
    def abs(self): return unary.abs(self)
    def tanh(self): return unary.tanh(self)
    def sigmoid(self): return unary.sigmoid(self)
    def clip(self, min=None, max=None): return unary.clip(self, min, max)
    clamp = clip
    def pow(self, exponent): return arith.pow(self, exponent)

    def argmax(self, dim=None, keepdim=False) -> "Tensor":
        """Index of the largest value (flattened if ``dim`` is None); int64, no gradient.

        The first index wins a tie.

        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.argmax().item(), x.argmax(dim=1).tolist()
        (2, [1, 0])
        """
        return self._arg(dim, keepdim, self.backend.xp.argmax)

    def argmin(self, dim=None, keepdim=False) -> "Tensor":
        """Index of the smallest value (flattened if ``dim`` is None); int64, no gradient.

        >>> import xpnet
        >>> xpnet.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(dim=0).tolist()
        [0, 1]
        """
        return self._arg(dim, keepdim, self.backend.xp.argmin)

    def _arg(self, dim, keepdim, fn):
        if dim is not None:
            if isinstance(dim, bool) or not isinstance(dim, int):
                raise TypeError(f"{fn.__name__}(dim=...) must be an int or None; got {dim!r}")
            axes = reduce.normalize_dims(dim, self.ndim)  # a 0-d tensor takes dim 0 or -1
            if self.ndim:
                return Tensor(fn(self.data, axis=axes[0], keepdims=keepdim), self.backend)
        # flattened; a 0-d tensor's only element has index 0 (shape (), as PyTorch)
        return Tensor(fn(self.backend.xp.reshape(self.data, (-1,))), self.backend)


# The one-line methods share the docstring (formula, gradient, example) of the op they call.
for _name, _op in (("sum", reduce.sum), ("mean", reduce.mean), ("max", reduce.max),
                   ("min", reduce.min), ("reshape", shape.reshape),
                   ("transpose", shape.transpose), ("permute", shape.permute),
                   ("flatten", shape.flatten), ("unsqueeze", shape.unsqueeze),
                   ("squeeze", shape.squeeze), ("exp", unary.exp), ("log", unary.log),
                   ("sqrt", unary.sqrt), ("abs", unary.abs), ("tanh", unary.tanh),
                   ("sigmoid", unary.sigmoid), ("clip", unary.clip), ("pow", arith.pow)):
    getattr(Tensor, _name).__doc__ = _op.__doc__


def _backend_names():
    from ..backend import backend_names
    return backend_names()


def tensor(data: Any, dtype=None, requires_grad: bool = False, backend=None) -> Tensor:
    """A new tensor holding a copy of ``data``, on the current backend (or ``backend``).

    ``data``: a NumPy array (its dtype is kept), a Python scalar or nested
    list (floats become float32, ints int64, bools bool, as PyTorch), an
    array of the target backend, or a Tensor.  ``dtype`` (a NumPy dtype or
    name, e.g. ``xpnet.float64``) overrides.

    >>> import xpnet
    >>> xpnet.tensor([[1, 2], [3, 4]]).dtype
    dtype('int64')
    >>> xpnet.tensor([0.5]).dtype
    dtype('float32')
    """
    be = get_backend(backend)
    if dtype is not None:
        dtype = as_dtype(dtype, "tensor(dtype=...)")
    if isinstance(data, Tensor):
        data = data.numpy() if data.backend is not be else data.data
    if be.is_array(data):
        arr = be.asarray(data, dtype=dtype)
    else:
        if not isinstance(data, (numpy.ndarray, numpy.generic)):
            host = numpy.asarray(data)
            if dtype is not None and host.dtype.kind in "iufb":
                pass  # cast once, below, from the exact Python values (0.1 -> float64 stays 0.1)
            elif host.dtype == numpy.float64:
                host = host.astype(numpy.float32)
            elif host.dtype.kind in "iu":
                host = host.astype(numpy.int64)
            elif host.dtype.kind not in "fb":
                raise TypeError(f"tensor(data) needs numbers; got data of dtype {host.dtype}")
        else:
            host = numpy.asarray(data)
        arr = be.asarray(host, dtype=dtype)
    return Tensor(arr, be, requires_grad=requires_grad)
