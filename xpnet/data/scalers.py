"""Feature scalers with the scikit-learn interface: StandardScaler, MinMaxScaler.

Both learn per-feature statistics with ``fit(X)`` and apply a per-feature
affine map with ``transform``; ``inverse_transform`` undoes it.  ``X`` has
shape ``(n_samples, *features)`` (usually ``(n_samples, n_features)``);
statistics are taken over axis 0, so an image batch ``(N, C, H, W)`` gets
one statistic per pixel.

Fit on the training data only, then transform the training, validation and
test data with those same statistics: fitting on the test data (or on all
data before splitting) leaks information about the test set into training.

Inputs may be NumPy arrays or xpnet Tensors; the result is of the same kind
(a Tensor stays on its own backend).  Statistics are computed on the host in
float64 and kept as NumPy float64 arrays; results are float32 for float32
input, float64 for float64 input, and (as in scikit-learn) floating for
integer input: float64 for NumPy arrays, float32 (xpnet's default) for
Tensors.  NaN or infinite inputs raise ``ValueError``.

Constant features (zero range, or zero variance up to rounding) get
``scale_ = 1``, as in scikit-learn, so they map to a constant instead of
dividing by zero.

>>> import numpy as np
>>> from xpnet.data import StandardScaler
>>> sc = StandardScaler().fit(np.array([[0., 1.], [2., 1.]]))
>>> sc.mean_, sc.scale_
(array([1., 1.]), array([1., 1.]))
>>> sc.transform(np.array([[4., 5.]]))
array([[3., 4.]])

See also: ``sklearn.preprocessing.StandardScaler``, ``MinMaxScaler``.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy

from ..dtypes import is_bool
from ..host import check_keys, is_tensor, like, to_host


def _handle_zeros_in_scale(scale: numpy.ndarray, constant: numpy.ndarray) -> numpy.ndarray:
    """``scale`` with the entries of constant features set to 1 (scikit-learn's rule)."""
    return numpy.where(constant, 1.0, scale)


class _Scaler:
    """Shared machinery: input checks, dtype rules, result kind, state save/load.

    A subclass lists its fitted attribute names in ``_STATE`` and defines
    ``_config()`` (constructor arguments), ``_fit_stats(x64) -> dict``,
    ``_forward(x, p)`` and ``_inverse(x, p)``, where ``p`` maps each
    ``_STATE`` array to the working dtype.
    """

    _STATE: Tuple[str, ...] = ()

    def _check_input(self, X: Any, method: str) -> numpy.ndarray:
        where = f"{type(self).__name__}.{method}(X)"
        x = to_host(X, "X")
        if x.ndim < 2:
            raise ValueError(f"{where}: X must have shape (n_samples, n_features, ...), "
                             f"ndim >= 2; got shape {x.shape}. Use X.reshape(-1, 1) for "
                             f"a single feature")
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{where}: X must be real numeric; got dtype {x.dtype}")
        if x.dtype.kind == "f" and not numpy.isfinite(x).all():
            raise ValueError(f"{where}: X must be finite; got "
                             f"{int((~numpy.isfinite(x)).sum())} NaN or infinite values")
        return x

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` (or :meth:`load_state_dict`) has set the statistics.

        >>> import numpy as np
        >>> from xpnet.data import StandardScaler
        >>> sc = StandardScaler()
        >>> sc.is_fitted, sc.fit(np.ones((2, 3))).is_fitted
        (False, True)
        """
        return getattr(self, "n_samples_seen_", None) is not None

    def _check_fitted(self, X: Any, method: str) -> numpy.ndarray:
        if not self.is_fitted:
            raise ValueError(f"{type(self).__name__}.{method}: this scaler is not fitted "
                             f"yet; call fit(X_train) (or load_state_dict) first")
        x = self._check_input(X, method)
        if x.shape[1:] != self.feature_shape_:
            raise ValueError(
                f"{type(self).__name__}.{method}(X): X must have feature shape "
                f"{self.feature_shape_} (that of the data it was fitted on); got X of "
                f"shape {x.shape}")
        return x

    def fit(self, X: Any) -> "_Scaler":
        """Learn per-feature statistics from ``X`` (the training data only); returns self.

        ``X``: ``(n_samples, *features)``, NumPy array or Tensor, finite values.

        >>> import numpy as np
        >>> from xpnet.data import MinMaxScaler
        >>> sc = MinMaxScaler().fit(np.array([[0.0, 10.0], [4.0, 20.0]]))
        >>> sc.data_min_, sc.data_max_
        (array([ 0., 10.]), array([ 4., 20.]))
        """
        x = self._check_input(X, "fit")
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit(X): X needs at least one "
                             f"sample; got shape {x.shape}")
        stats = self._fit_stats(x.astype(numpy.float64))
        for k in self._STATE:
            setattr(self, k, stats[k])
        self.feature_shape_ = tuple(x.shape[1:])
        self.n_samples_seen_ = int(x.shape[0])
        return self

    def fit_transform(self, X: Any) -> Any:
        """``fit(X).transform(X)``: fit on ``X`` and return it scaled.

        >>> import numpy as np
        >>> from xpnet.data import StandardScaler
        >>> StandardScaler().fit_transform(np.array([[1.0], [3.0]]))
        array([[-1.],
               [ 1.]])
        """
        return self.fit(X).transform(X)

    def _apply(self, X: Any, method: str, fn) -> Any:
        x = self._check_fitted(X, method)
        if x.dtype in (numpy.float32, numpy.float64):
            dt = x.dtype
        else:  # integers and bools become floating, as in scikit-learn
            dt = numpy.dtype(numpy.float32 if is_tensor(X) else numpy.float64)
        p = {k: (None if getattr(self, k) is None else getattr(self, k).astype(dt))
             for k in self._STATE}
        y = fn(x.astype(dt, copy=True), p)
        return like(X, y.astype(dt, copy=False))

    def transform(self, X: Any) -> Any:
        """Scale ``X`` with the fitted statistics; same kind (NumPy/Tensor) and shape as ``X``.

        ``X``: ``(n, *feature_shape_)``.  Float32 stays float32; integers become floating.

        >>> import numpy as np
        >>> import xpnet
        >>> from xpnet.data import MinMaxScaler
        >>> sc = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [4.0]]))
        >>> sc.transform(xpnet.tensor([[1.0], [6.0]])).tolist()        # no clipping
        [[-0.5], [2.0]]
        """
        return self._apply(X, "transform", self._forward)

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: back to the original units (same kind and shape as ``X``).

        >>> import numpy as np
        >>> from xpnet.data import StandardScaler
        >>> sc = StandardScaler().fit(np.array([[1.0], [3.0]]))
        >>> sc.inverse_transform(np.array([[0.5]]))
        array([[2.5]])
        """
        return self._apply(X, "inverse_transform", self._inverse)

    def state_dict(self) -> Dict[str, Any]:
        """Constructor arguments and fitted statistics (host float64 copies), plain data.

        ``ValueError`` if the scaler is not fitted.  Save it next to a model
        so that inference scales inputs as training did.

        >>> import numpy as np
        >>> from xpnet.data import StandardScaler
        >>> sorted(StandardScaler().fit(np.ones((2, 3))).state_dict())
        ['feature_shape_', 'mean_', 'n_samples_seen_', 'scale_', 'var_', 'with_mean', 'with_std']
        """
        if not self.is_fitted:
            raise ValueError(f"{type(self).__name__}.state_dict: this scaler is not "
                             f"fitted yet; call fit(X_train) first")
        state = dict(self._config())
        state["feature_shape_"] = self.feature_shape_
        state["n_samples_seen_"] = self.n_samples_seen_
        for k in self._STATE:
            v = getattr(self, k)
            state[k] = None if v is None else numpy.array(v, dtype=numpy.float64)
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> "_Scaler":
        """Restore what :meth:`state_dict` saved; validates everything before changing self.

        Returns self.

        >>> import numpy as np
        >>> from xpnet.data import StandardScaler
        >>> saved = StandardScaler().fit(np.array([[1.0], [3.0]])).state_dict()
        >>> StandardScaler().load_state_dict(saved).transform(np.array([[3.0]]))
        array([[1.]])
        """
        name = f"{type(self).__name__}.load_state_dict(state)"
        expected = set(self._config()) | set(self._STATE) | {"feature_shape_",
                                                              "n_samples_seen_"}
        check_keys(f"{name}: state", state, expected)
        fresh = type(self)(**{k: state[k] for k in self._config()})  # validates config
        shape = tuple(int(d) for d in state["feature_shape_"])
        arrays = {k: None if state[k] is None else numpy.array(state[k], dtype=numpy.float64)
                  for k in self._STATE}
        wrong = [f"state[{k!r}] has shape {a.shape}" for k, a in arrays.items()
                 if a is not None and a.shape != shape]
        if wrong:
            raise ValueError(f"{name}: {', '.join(wrong)}; the statistics must have shape "
                             f"feature_shape_ = {shape}")
        # a damaged or hand-edited state would otherwise give inf/NaN outputs silently
        wrong = [f"state[{k!r}] holds NaN or inf" for k, a in arrays.items()
                 if a is not None and not numpy.all(numpy.isfinite(a))]
        if arrays.get("scale_") is not None and numpy.any(arrays["scale_"] == 0):
            wrong.append("state['scale_'] holds zeros (outputs would be inf)")
        n = state["n_samples_seen_"]
        if not (isinstance(n, (int, numpy.integer)) and not isinstance(n, bool) and n >= 1):
            wrong.append(f"state['n_samples_seen_'] is {n!r}, not an int >= 1")
        if wrong:
            raise ValueError(f"{name}: {'; '.join(wrong)}")
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(arrays)
        self.feature_shape_ = shape
        self.n_samples_seen_ = int(state["n_samples_seen_"])
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"


class StandardScaler(_Scaler):
    """Standardize features: ``z = (x - mean_) / scale_``, ``scale_ = sqrt(var_)``.

    ``mean_`` and ``var_`` are the per-feature mean and *population*
    variance (divisor ``n_samples``, as scikit-learn; not ``n - 1``) of the
    training data, computed in float64 with two passes (no
    ``E[x^2] - E[x]^2`` cancellation).  A feature whose variance is below the
    rounding bound ``n*eps*var + (n*mean*eps)**2`` counts as constant and
    gets ``scale_ = 1``.

    Args:
        with_mean: subtract the mean (else ``mean_`` is None).
        with_std: divide by the standard deviation (else ``var_`` and
            ``scale_`` are None).

    Attributes after ``fit``: ``mean_``, ``var_``, ``scale_`` (float64,
    shape ``feature_shape_``), ``n_samples_seen_``, ``feature_shape_``.

    >>> import numpy as np
    >>> from xpnet.data import StandardScaler
    >>> X_train = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    >>> sc = StandardScaler().fit(X_train)
    >>> sc.mean_, sc.var_, sc.scale_                    # feature 1 is constant
    (array([2., 5.]), array([2.66666667, 0.        ]), array([1.63299316, 1.        ]))
    >>> sc.transform(np.array([[2.0, 6.0]]))
    array([[0., 1.]])

    See also: :class:`MinMaxScaler`.
    """

    _STATE = ("mean_", "var_", "scale_")

    def __init__(self, with_mean: bool = True, with_std: bool = True):
        for name, v in (("with_mean", with_mean), ("with_std", with_std)):
            if not is_bool(v):
                raise TypeError(f"StandardScaler({name}=...) must be a bool; got {v!r}")
        self.with_mean = bool(with_mean)
        self.with_std = bool(with_std)
        self.mean_ = self.var_ = self.scale_ = None
        self.n_samples_seen_ = None

    def _config(self) -> Dict[str, Any]:
        return {"with_mean": self.with_mean, "with_std": self.with_std}

    def _fit_stats(self, x: numpy.ndarray) -> Dict[str, Any]:
        n = x.shape[0]
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
        eps = numpy.finfo(numpy.float64).eps
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        return {"mean_": mean if self.with_mean else None,
                "var_": var if self.with_std else None,
                "scale_": _handle_zeros_in_scale(numpy.sqrt(var), constant)
                if self.with_std else None}

    @staticmethod
    def _forward(x, p):
        if p["mean_"] is not None:
            x -= p["mean_"]
        if p["scale_"] is not None:
            x /= p["scale_"]
        return x

    @staticmethod
    def _inverse(x, p):
        if p["scale_"] is not None:
            x *= p["scale_"]
        if p["mean_"] is not None:
            x += p["mean_"]
        return x


class MinMaxScaler(_Scaler):
    """Scale features to ``feature_range = (lo, hi)``: ``x' = x * scale_ + min_``.

    ``scale_ = (hi - lo) / data_range_`` and ``min_ = lo - data_min_ * scale_``
    with ``data_range_ = data_max_ - data_min_`` of the training data, so the
    training minimum maps to ``lo`` and the maximum to ``hi``; values outside
    the training range map outside ``feature_range`` (no clipping).  A
    constant feature (range below ``10 * eps``) is scaled as if its range
    were 1, so it maps to ``lo``.

    Attributes after ``fit``: ``data_min_``, ``data_max_``, ``data_range_``,
    ``scale_``, ``min_`` (float64, shape ``feature_shape_``),
    ``n_samples_seen_``, ``feature_shape_``.

    >>> import numpy as np
    >>> from xpnet.data import MinMaxScaler
    >>> sc = MinMaxScaler().fit(np.array([[0.0, 10.0], [4.0, 20.0]]))
    >>> sc.transform(np.array([[2.0, 10.0]]))
    array([[0.5, 0. ]])

    See also: :class:`StandardScaler`.
    """

    _STATE = ("data_min_", "data_max_", "data_range_", "scale_", "min_")

    def __init__(self, feature_range: Tuple[float, float] = (0, 1)):
        ok = (isinstance(feature_range, (tuple, list)) and len(feature_range) == 2
              and all(isinstance(v, (int, float, numpy.integer, numpy.floating))
                      and not isinstance(v, bool) and numpy.isfinite(v)
                      for v in feature_range))
        if not ok or not feature_range[0] < feature_range[1]:
            raise ValueError(f"MinMaxScaler(feature_range=(lo, hi)) needs two finite "
                             f"numbers with lo < hi; got {feature_range!r}")
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))
        for k in self._STATE:
            setattr(self, k, None)
        self.n_samples_seen_ = None

    def _config(self) -> Dict[str, Any]:
        return {"feature_range": self.feature_range}

    def _fit_stats(self, x: numpy.ndarray) -> Dict[str, Any]:
        lo, hi = self.feature_range
        dmin, dmax = x.min(axis=0), x.max(axis=0)
        drange = dmax - dmin
        scale = (hi - lo) / _handle_zeros_in_scale(
            drange, drange < 10 * numpy.finfo(numpy.float64).eps)
        return {"data_min_": dmin, "data_max_": dmax, "data_range_": drange,
                "scale_": scale, "min_": lo - dmin * scale}

    @staticmethod
    def _forward(x, p):
        x *= p["scale_"]
        x += p["min_"]
        return x

    @staticmethod
    def _inverse(x, p):
        x -= p["min_"]
        x /= p["scale_"]
        return x
