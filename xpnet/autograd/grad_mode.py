"""Whether operations record a graph for backward: ``no_grad`` / ``enable_grad``."""
from __future__ import annotations

import contextlib
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (per thread, as PyTorch).

    >>> import xpnet
    >>> with xpnet.no_grad():
    ...     print(xpnet.is_grad_enabled())
    False
    """
    return getattr(_state, "enabled", True)


class _GradMode(contextlib.ContextDecorator):
    _enable = True

    def __new__(cls, func=None):
        # ``@no_grad`` without parentheses decorates too (as PyTorch 2)
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or a function to decorate); "
                            f"got {func!r}")
        return self(func)

    def _recreate_cm(self):
        # as a decorator, each call gets a fresh instance: one shared instance would
        # overwrite its saved ``_prev`` on recursive (or concurrent) calls and leave
        # grad mode switched off after the outermost call returns
        return type(self)()

    def __enter__(self):
        self._prev = is_grad_enabled()
        _state.enabled = self._enable
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False


class no_grad(_GradMode):
    """Context manager and decorator: operations inside record no graph.

    >>> import xpnet
    >>> w = xpnet.tensor([1.0], requires_grad=True)
    >>> with xpnet.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    _enable = False


class enable_grad(_GradMode):
    """Context manager and decorator: re-enable graph recording inside a ``no_grad`` block.

    >>> import xpnet
    >>> w = xpnet.tensor([1.0], requires_grad=True)
    >>> with xpnet.no_grad(), xpnet.enable_grad():
    ...     y = w * 2
    >>> y.requires_grad
    True
    """
    _enable = True


__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]
