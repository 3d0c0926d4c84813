"""Containers: ``Sequential`` (a pipeline) and ``ModuleList`` (an indexable list of modules).

Children are registered under the names ``"0"``, ``"1"``, ... (or the keys of
an ``OrderedDict`` given to ``Sequential``), so parameters are named
``"0.weight"`` etc. as in PyTorch, and ``state_dict`` files interchange.

>>> from xpnet import nn
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> len(net), type(net[1]).__name__, [n for n, _ in net.named_parameters()][:2]
(3, 'ReLU', ['0.weight', '0.bias'])
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Iterator, Optional

from .module import Module


class _IndexedModules(Module):
    """Shared index arithmetic of Sequential and ModuleList (children in insertion order)."""

    def _index(self, idx) -> int:
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise TypeError(f"{type(self).__name__} indices must be ints or slices; "
                            f"got {type(idx).__name__}")
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} "
                             f"of length {n}")
        return idx % n

    def _key(self, idx) -> str:
        return list(self._modules)[self._index(idx)]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        doomed = keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]
        for k in doomed:
            del self._modules[k]
        if isinstance(self, ModuleList) or all(k.isdigit() for k in keys):
            # keep the names 0..n-1 contiguous, as PyTorch does
            items = list(self._modules.values())
            self._modules.clear()
            for i, m in enumerate(items):
                self._modules[str(i)] = m

    def append(self, module: Module) -> "_IndexedModules":
        """Add ``module`` at the end (named ``str(len(self))``); returns self.

        >>> from xpnet import nn
        >>> len(nn.Sequential(nn.Linear(2, 2)).append(nn.ReLU()))
        2
        """
        self.add_module(str(len(self)), module)
        return self


class Sequential(_IndexedModules):
    """Apply the given modules in order: ``forward(x) = m_n(...m_2(m_1(x)))``.

    ``Sequential(m1, m2, ...)`` or ``Sequential(OrderedDict(name=module, ...))``.
    Indexing with an int gives a module, with a slice a new Sequential
    sharing the modules.  Input and output shapes are those of the first and
    last module.

    >>> import xpnet
    >>> from xpnet import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net(xpnet.zeros(5, 4)).shape, net[:2](xpnet.zeros(5, 4)).shape
    ((5, 2), (5, 8))

    See also: :class:`ModuleList`.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential(*modules): argument {i} is a "
                                    f"{type(m).__name__}, not a Module")
                self.add_module(str(i), m)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (no ``forward`` of its own).

    Supports ``len``, iteration, indexing (ints and slices), ``append``,
    ``extend``, ``insert``, ``+=`` and ``del``.

    >>> from xpnet import nn
    >>> blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
    >>> len(blocks), [n for n, _ in blocks.named_parameters()][:2]
    (2, ['0.weight', '0.bias'])

    See also: :class:`Sequential`.
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Append each module of ``modules`` in order; returns self (``+=`` does the same).

        >>> from xpnet import nn
        >>> len(nn.ModuleList().extend([nn.ReLU(), nn.Tanh()]))
        2
        """
        for m in modules:
            self.append(m)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (clamped to [0, len], as list.insert).

        Later modules are renamed so names stay ``"0"``, ``"1"``, ...

        >>> from xpnet import nn
        >>> layers = nn.ModuleList([nn.ReLU()])
        >>> layers.insert(0, nn.Tanh())
        >>> [type(m).__name__ for m in layers]
        ['Tanh', 'ReLU']
        """
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.insert needs a Module; got {type(module).__name__}")
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)


__all__ = ["Sequential", "ModuleList"]
