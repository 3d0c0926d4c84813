"""``optimizer.state``: per-parameter state keyed by parameter identity."""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Dict, Iterator, Tuple


# ---------------------------------------------------------------------- #
class ParamState(MutableMapping):
    """``optimizer.state``: a mapping parameter -> dict of state, keyed by identity.

    Tensors compare elementwise, so they are not usable as ordinary dict keys;
    this mapping uses ``id(param)`` and keeps the parameter alive.  Reading a
    missing parameter inserts and returns an empty dict, like PyTorch's
    ``defaultdict``.
    """

    def __init__(self) -> None:
        self._items: Dict[int, Tuple[Any, dict]] = {}

    def __getitem__(self, param: Any) -> dict:
        if id(param) not in self._items:
            self._items[id(param)] = (param, {})
        return self._items[id(param)][1]

    def __setitem__(self, param: Any, value: dict) -> None:
        self._items[id(param)] = (param, value)

    def get(self, param: Any, default: Any = None) -> Any:
        """The state of ``param`` if it has an entry, else ``default`` (inserts nothing)."""
        item = self._items.get(id(param))
        return default if item is None else item[1]

    def __delitem__(self, param: Any) -> None:
        del self._items[id(param)]

    def __contains__(self, param: Any) -> bool:
        return id(param) in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter([p for p, _ in self._items.values()])

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ParamState({len(self)} parameters)"


__all__ = ["ParamState"]
