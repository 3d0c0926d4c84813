"""``Parameter`` and ``Module``: the containers that layers are built from (as ``torch.nn``).

A Module registers what is assigned to its attributes: a :class:`Parameter`
(a leaf Tensor with ``requires_grad=True``) goes into ``_parameters``, a
Module into ``_modules``, and tensors passed to :meth:`Module.register_buffer`
(running statistics and other state that is saved but not trained) into
``_buffers``.  Everything else that walks the tree — ``parameters()``,
``state_dict()``, ``to()``, ``train()`` — follows those three dicts.

>>> import xpnet
>>> from xpnet import nn
>>> class Affine(nn.Module):
...     def __init__(self, n):
...         super().__init__()
...         self.scale = nn.Parameter(xpnet.ones(n))
...         self.register_buffer("calls", xpnet.zeros(1))
...     def forward(self, x):
...         return x * self.scale
>>> m = Affine(3)
>>> [name for name, _ in m.named_parameters()], list(m.state_dict())
(['scale'], ['scale', 'calls'])
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterator, Optional, Tuple

from ..autograd.tensor import Tensor
from ._state import IncompatibleKeys, check_value, copy_into, move, parse_to_args
from .parameter import Parameter


class Module:
    """Base class of every layer and model; subclasses define ``forward``.

    Calling the module calls ``forward``.  ``training`` (True after
    construction) is switched by :meth:`train` / :meth:`eval` for the whole tree.
    Assigning a :class:`Parameter` or a Module to an attribute registers it.

    >>> import xpnet
    >>> from xpnet import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden, self.out = nn.Linear(4, 8), nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.out(nn.functional.relu(self.hidden(x)))
    >>> model = TwoLayer()
    >>> model(xpnet.zeros(5, 4)).shape, sum(p.numel() for p in model.parameters())
    ((5, 2), 58)

    See also: :class:`Sequential`, :class:`Parameter`.
    """

    training: bool

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()

    def forward(self, *args, **kwargs):
        """The computation of the module, called by ``module(*args)``; every subclass defines it.

        Each layer's class docstring states the shapes its forward takes and
        returns; the base raises ``NotImplementedError``.

        >>> import xpnet
        >>> from xpnet import nn
        >>> nn.Linear(3, 2).forward(xpnet.ones(4, 3)).shape
        (4, 2)
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward(); subclasses of "
                                  f"Module must define it")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ #
    # registration by attribute assignment
    # ------------------------------------------------------------------ #
    def _require_init(self) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign parameters, buffers or modules to "
                                 f"{type(self).__name__} before Module.__init__() is called "
                                 f"(call super().__init__() first)")

    def __setattr__(self, name: str, value) -> None:
        params, buffers, modules = (self.__dict__.get(k) for k in
                                    ("_parameters", "_buffers", "_modules"))
        if isinstance(value, (Parameter, Module)):
            self._require_init()
            self.__dict__.pop(name, None)  # a plain attribute of that name is replaced
            for registry in (params, buffers, modules):
                registry.pop(name, None)
            self._non_persistent_buffers.discard(name)
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
            else:
                self.add_module(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter "
                                f"{name!r} of {type(self).__name__}: wrap it in nn.Parameter "
                                f"(or assign None)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule "
                                f"{name!r} of {type(self).__name__}: expected a Module or None")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer {name!r} "
                                f"of {type(self).__name__}: expected a Tensor or None")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters, buffers and modules live in dicts
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [k for r in ("_parameters", "_buffers", "_modules") for k in self.__dict__[r]]
        return sorted(set(super().__dir__()) | set(extra))

    def _check_name(self, name, kind: str) -> None:
        self._require_init()
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str; got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.'; got {name!r}")
        taken = {"_parameters": "parameter", "_buffers": "buffer", "_modules": "module"}
        for registry, what in taken.items():
            if name in self.__dict__[registry] and what != kind:
                raise KeyError(f"cannot register {kind} {name!r}: it is already a {what}")
        if name in self.__dict__:
            raise KeyError(f"cannot register {kind} {name!r}: it is already an attribute")

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Add ``param`` (a Parameter or None) under ``name``, as ``self.name = param`` does.

        >>> import xpnet
        >>> from xpnet import nn
        >>> m = nn.Module()
        >>> m.register_parameter("w", nn.Parameter(xpnet.ones(2)))
        >>> [name for name, _ in m.named_parameters()]
        ['w']
        """
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}, ...) needs a Parameter or None; got "
                            f"{type(param).__name__} (wrap it in nn.Parameter)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """Add ``tensor`` as state that is not trained; saved in ``state_dict`` if ``persistent``.

        Buffers move and cast with :meth:`to`, like parameters (e.g. batch norm's
        running statistics).

        >>> import xpnet
        >>> from xpnet import nn
        >>> m = nn.Module()
        >>> m.register_buffer("steps", xpnet.zeros(1, dtype="int64"))
        >>> m.register_buffer("cache", xpnet.zeros(3), persistent=False)
        >>> list(m.state_dict()), [name for name, _ in m.named_buffers()]
        (['steps'], ['steps', 'cache'])
        """
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}, ...) needs a Tensor or None; got "
                            f"{type(tensor).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Add the child ``module`` (a Module or None) under ``name``, as ``self.name = module`` does.

        >>> from xpnet import nn
        >>> m = nn.Module()
        >>> m.add_module("act", nn.ReLU())
        >>> m
        Module(
          (act): ReLU()
        )
        """
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs a Module or None; got "
                            f"{type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ #
    # walking the tree
    # ------------------------------------------------------------------ #
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[Tuple[str, "Module"]]:
        """``(dotted name, module)`` for this module and every descendant, pre-order.

        The module itself has the name ``prefix`` (``""``); a module reachable
        twice is listed once unless ``remove_duplicate=False``.

        >>> from xpnet import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [name for name, _ in model.named_modules()]
        ['', '0', '1']
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant, pre-order, each once.

        >>> from xpnet import nn
        >>> [type(m).__name__ for m in nn.Sequential(nn.Linear(2, 3), nn.ReLU()).modules()]
        ['Sequential', 'Linear', 'ReLU']
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """``(name, module)`` for the direct children (not grandchildren), each once.

        >>> from xpnet import nn
        >>> [name for name, _ in nn.Sequential(nn.Linear(2, 3), nn.ReLU()).named_children()]
        ['0', '1']
        """
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        """The direct child modules, each once.

        >>> from xpnet import nn
        >>> len(list(nn.Sequential(nn.Linear(2, 3), nn.ReLU()).children()))
        2
        """
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, t in mod.__dict__[registry].items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` pairs; a shared parameter appears once.

        ``recurse=False`` lists only this module's own parameters.

        >>> from xpnet import nn
        >>> [(n, p.shape) for n, p in nn.Sequential(nn.Linear(2, 3)).named_parameters()]
        [('0.weight', (3, 2)), ('0.bias', (3,))]
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The Parameters of this module and its descendants, each once (pass them to an optimizer).

        >>> from xpnet import nn
        >>> sum(p.numel() for p in nn.Linear(10, 4).parameters())
        44
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """``(dotted name, Tensor)`` for the buffers (persistent or not), each once.

        >>> from xpnet import nn
        >>> [name for name, _ in nn.BatchNorm1d(3).named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module and its descendants, each once.

        >>> from xpnet import nn
        >>> [b.shape for b in nn.BatchNorm1d(3).buffers()]
        [(3,), (3,), ()]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every child subtree first, then on this module; returns self.

        >>> from xpnet import nn
        >>> names = []
        >>> _ = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).apply(lambda m: names.append(type(m).__name__))
        >>> names
        ['Linear', 'ReLU', 'Sequential']
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ #
    # modes and gradients
    # ------------------------------------------------------------------ #
    def train(self, mode: bool = True) -> "Module":
        """Set ``training = mode`` on this module and all descendants; returns self.

        >>> from xpnet import nn
        >>> model = nn.Sequential(nn.Dropout(0.5))
        >>> model.eval()[0].training, model.train()[0].training
        (False, True)
        """
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode) needs a bool; got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        """``train(False)``: dropout off, batch norm uses running statistics; returns self.

        >>> from xpnet import nn
        >>> nn.Dropout(0.5).eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` on every parameter (``False`` freezes the module); returns self.

        >>> from xpnet import nn
        >>> [p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters()]
        [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (default) or fill them with zeros.

        >>> import xpnet
        >>> from xpnet import nn
        >>> layer = nn.Linear(2, 1)
        >>> layer(xpnet.ones(1, 2)).sum().backward()
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:  # a fresh array: autograd may share one gradient array between leaves
                p.grad.data = p.grad.backend.xp.zeros_like(p.grad.data)

    # ------------------------------------------------------------------ #
    # moving and casting
    # ------------------------------------------------------------------ #
    def to(self, target=None, dtype=None) -> "Module":
        """Move every parameter and buffer to backend ``target`` and/or cast to ``dtype``, in place.

        ``target`` is a backend name (``"numpy"``, ``"cupy"``, ...) or a
        floating dtype; ``dtype`` a floating dtype.  Casting applies to
        floating-point tensors only (integer buffers such as counters keep
        their dtype), as PyTorch.  Parameter objects are kept (only their
        ``data``, ``backend`` and ``grad`` change), so an optimizer built
        before still updates them.  Returns self.

        >>> from xpnet import nn
        >>> layer = nn.Linear(2, 2).to("numpy", dtype="float64")
        >>> layer.weight.dtype, layer.weight.backend.name
        (dtype('float64'), 'numpy')
        """
        dest, cast = parse_to_args(target, dtype)
        tensors = [t for _, t in self._named_members("_parameters", "", True)]
        tensors += [t for _, t in self._named_members("_buffers", "", True)]
        for t in tensors:
            move(t, dest, cast)
            if t.grad is not None:
                move(t.grad, dest, cast)
        return self

    def float(self) -> "Module":
        """Cast floating parameters and buffers to float32 in place; returns self.

        >>> from xpnet import nn
        >>> nn.Linear(2, 2).double().float().weight.dtype
        dtype('float32')
        """
        return self.to(dtype="float32")

    def double(self) -> "Module":
        """Cast floating parameters and buffers to float64 in place; returns self.

        >>> from xpnet import nn
        >>> nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self.to(dtype="float64")

    # ------------------------------------------------------------------ #
    # saving and loading
    # ------------------------------------------------------------------ #
    def _state_items(self, prefix: str = ""):
        """``(key, tensor)`` of the parameters and persistent buffers, every path of the tree."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_items(prefix + name + ".")

    def state_dict(self) -> "OrderedDict[str, Tensor]":
        """Ordered ``{dotted name: detached Tensor}`` of parameters and persistent buffers.

        The tensors share memory with the module (as PyTorch); call
        ``.numpy()`` on them for host copies.

        >>> from xpnet import nn
        >>> list(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).state_dict())
        ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        return OrderedDict((k, t.detach()) for k, t in self._state_items())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers named by ``state_dict``'s keys.

        Values may be Tensors (any backend) or NumPy arrays; they are copied
        onto each target's backend and cast to its dtype.  Every entry is
        validated first — shape equal, and a same-kind-or-safer cast (e.g.
        float64 into float32, but not float into an integer counter) — and
        with ``strict`` the key sets must match exactly.  On any problem a
        ``ValueError`` lists all of them and nothing is modified.  Returns
        ``(missing_keys, unexpected_keys)``.

        >>> import xpnet
        >>> from xpnet import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> b.weight.tolist() == a.weight.tolist()
        True
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict(state_dict) needs a mapping of names to tensors; "
                            f"got {type(state_dict).__name__}")
        targets = OrderedDict(self._state_items())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in targets]
        problems = []
        if strict:
            problems += [f"missing key {k!r}" for k in missing]
            problems += [f"unexpected key {k!r}" for k in unexpected]
        staged = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            problem = check_value(key, value, target)
            if problem:
                problems.append(problem)
            else:
                staged.append((target, value))
        if problems:
            raise ValueError(f"load_state_dict for {type(self).__name__}: "
                             + "; ".join(problems) + "; nothing was loaded")
        for target, value in staged:
            copy_into(target, value)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ #
    # printing
    # ------------------------------------------------------------------ #
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (layers override it).

        >>> from xpnet import nn
        >>> nn.Linear(2, 3).extra_repr()
        'in_features=2, out_features=3, bias=True'
        """
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        head = type(self).__name__ + "("
        if not self._modules:
            return head + "\n  ".join(lines) + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


__all__ = ["Parameter", "Module", "IncompatibleKeys"]
