"""The optimizer base class: parameter groups, per-parameter state, step, state dicts.

The public surface follows ``torch.optim.Optimizer``; the arithmetic does not
live here.  Each subclass (``SGD``, ``Adam``, ...) names a *pure update rule*,
a small function from plain arrays to plain arrays (optax style)::

    new_param, new_state = rule(param, grad, state, xp=xp, **hyperparameters)

``param``/``grad`` are the raw backend arrays ``p.data``/``p.grad.data`` and
``state`` is a dict of arrays of the same shape and dtype (plus the Python
int ``"step"`` for rules that count steps).  This class only decides which
parameters to update, validates everything first, and then commits
``p.data = new_param`` and ``self.state[p] = new_state``.

State keys and meanings are PyTorch's (``momentum_buffer``, ``sum``,
``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq``, ``step``), so state dicts read like PyTorch's.

``state_dict()`` layout (every array is a host NumPy copy)::

    {"state": {index: {"step": 3, "exp_avg": ndarray, ...}, ...},
     "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]}, ...]}

``index`` numbers the parameters in group order, as PyTorch does; parameters
that have no state yet are absent.  ``xpnet.save(opt.state_dict(), path)``
stores it without pickle (see :mod:`xpnet.checkpoint`).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ..autograd.grad_mode import enable_grad
from ..host import as_host_array, is_tensor, key_mismatch
from ._param_state import ParamState
from ._validation import _scalar, check_int


# ---------------------------------------------------------------------- #
# the base class
# ---------------------------------------------------------------------- #
class Optimizer:
    """Base class of all optimizers (as ``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors, or of dicts each holding ``"params"``
            (an iterable of Tensors) and hyper-parameters overriding
            ``defaults`` for that group.
        defaults: the subclass's hyper-parameters, e.g. ``{"lr": 1e-3, ...}``.

    Subclasses define:

    * ``_check_hyperparameters(group) -> dict``: the validated, normalized
      hyper-parameters of a group (raises ``ValueError``/``TypeError``);
    * ``_state_keys(hp) -> tuple``: the array keys of a parameter's state for
      those hyper-parameters (``"step"`` is listed separately by
      ``_counts_steps``);
    * ``_init_state(param, hp, xp) -> dict``: the state before the first step;
    * ``_update(param, grad, state, hp, xp) -> (new_param, new_state)``: calls
      the pure rule.

    The usual loop, with any subclass:

    >>> import xpnet
    >>> from xpnet import nn, optim
    >>> _ = xpnet.manual_seed(0)
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.0}], lr=0.1)
    >>> x, y = xpnet.randn(8, 3), xpnet.randn(8, 1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     loss = nn.functional.mse_loss(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    >>> len(opt.param_groups), opt.param_groups[1]["lr"]
    (2, 0.0)
    """

    #: True if the rule keeps the Python int ``state["step"]``
    _counts_steps: bool = True
    #: True if state is created at construction (Adagrad), not at the first step
    _eager_state: bool = False
    #: group keys of PyTorch optimizers that xpnet does not implement, with the
    #: values under which ignoring them is exact; a loaded PyTorch state dict
    #: may carry them, any other value is an error
    _torch_neutral_keys: Dict[str, tuple] = {
        "maximize": (False,), "foreach": (None, False, True), "capturable": (False,),
        "differentiable": (False,), "fused": (None, False)}
    #: group keys besides the hyper-parameters: the scheduler's base lr
    _extra_group_keys = ("initial_lr",)

    def __init__(self, params: Iterable, defaults: Dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.defaults.update(self._check_hyperparameters(self.defaults))
        self.state = ParamState()
        self.param_groups: List[dict] = []
        if is_tensor(params) or isinstance(params, (set, frozenset, dict)):
            raise TypeError(
                f"{self._name}: params must be an ordered iterable of Tensors or of dicts "
                f"(e.g. model.parameters() or a list); got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: params is empty; pass at least one "
                             "parameter, e.g. model.parameters()")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- hooks -------------------------------------------------------------
    def _check_hyperparameters(self, group: dict) -> dict:
        raise NotImplementedError

    def _state_keys(self, hp: dict) -> Tuple[str, ...]:
        raise NotImplementedError

    def _init_state(self, param: Any, hp: dict, xp: Any) -> dict:
        raise NotImplementedError

    def _update(self, param: Any, grad: Any, state: dict, hp: dict, xp: Any):
        raise NotImplementedError

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- groups ------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional hyper-parameters).

        Missing hyper-parameters are taken from ``defaults``.  Raises
        ``ValueError`` if a parameter is already optimized (in this or an
        earlier group) or a hyper-parameter is invalid; nothing is changed then.

        >>> import xpnet
        >>> a, b = xpnet.zeros(2, requires_grad=True), xpnet.zeros(2, requires_grad=True)
        >>> opt = xpnet.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a parameter group must be a dict with a 'params' "
                            f"entry; got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: parameter group {param_group!r} has no 'params' entry")
        params = param_group["params"]
        if is_tensor(params):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: the parameters of a group must be an ordered "
                            "sequence (sets change order between runs); use a list")
        else:
            params = list(params)
        index = len(self.param_groups)
        for i, p in enumerate(params):
            if not is_tensor(p):
                raise TypeError(f"{self._name}: param_groups[{index}]['params'][{i}] must be a "
                                f"Tensor; got {type(p).__name__}")
            if not p.backend.xp.isdtype(p.data.dtype, "real floating"):
                raise TypeError(f"{self._name}: can only optimize floating-point tensors; "
                                f"param_groups[{index}]['params'][{i}] has dtype {p.data.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{self._name}: param_groups[{index}] lists a parameter more than "
                             "once; each parameter may appear only once")
        if any(id(p) in seen for p in params):
            raise ValueError(f"{self._name}: some parameters of param_groups[{index}] already "
                             "belong to another parameter group")
        if not params:
            raise ValueError(f"{self._name}: param_groups[{index}] has an empty 'params' list")
        unknown = set(param_group) - set(self.defaults) - {"params", *self._extra_group_keys}
        if unknown:
            raise ValueError(f"{self._name}: param_groups[{index}] has unknown keys "
                             f"{sorted(unknown)}; {self._name} takes {sorted(self.defaults)}")
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group.update(self._check_hyperparameters(group))
        group["params"] = params
        self.param_groups.append(group)
        if self._eager_state:
            for p in params:
                self.state[p] = self._init_state(p.data, group, p.backend.xp)

    # -- step --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: ``p.grad = None`` (default) or fill them with zeros.

        >>> import xpnet
        >>> w = xpnet.ones(2, requires_grad=True)
        >>> opt = xpnet.optim.SGD([w], lr=0.1)
        >>> w.sum().backward()
        >>> opt.zero_grad(set_to_none=False)
        >>> w.grad.tolist()
        [0.0, 0.0]
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data = p.backend.xp.zeros_like(p.grad.data)

    def _check_grad(self, p: Any, gi: int, i: int) -> None:
        g = p.grad
        where = f"param_groups[{gi}]['params'][{i}]"
        if not is_tensor(g):
            raise TypeError(f"{self._name}: {where}.grad must be a Tensor or None; "
                            f"got {type(g).__name__}")
        if g.backend.name != p.backend.name:
            raise ValueError(f"{self._name}: {where} lives on backend {p.backend.name!r} but its "
                             f"grad on {g.backend.name!r}; move them to one backend")
        if tuple(g.shape) != tuple(p.shape) or g.dtype != p.dtype:
            raise ValueError(f"{self._name}: {where} has shape {tuple(p.shape)} and dtype "
                             f"{p.dtype} but its grad has shape {tuple(g.shape)} and dtype "
                             f"{g.dtype}; they must match")

    def _check_state(self, p: Any, gi: int, i: int, hp: dict) -> None:
        """The state kept so far must have what the current hyper-parameters need
        (e.g. ``momentum`` switched on after some steps of RMSprop is an error)."""
        state = self.state.get(p)
        missing = set(self._state_keys(hp)) - set(state) if state else set()
        if missing:
            raise ValueError(
                f"{self._name}: the state of param_groups[{gi}]['params'][{i}] lacks "
                f"{sorted(missing)}, which the hyper-parameters of its group now need; "
                "set them before the first step, or create a new optimizer")

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (run with
        gradients enabled, as PyTorch).  Parameters whose ``.grad`` is None are
        skipped.  All hyper-parameters and gradients are validated before any
        parameter is changed, so an error leaves the optimizer untouched.

        >>> import xpnet
        >>> w = xpnet.tensor([1.0], requires_grad=True)
        >>> opt = xpnet.optim.SGD([w], lr=0.1)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (w * w).sum()
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure).item(), w.tolist()     # loss before the step; w - 0.1 * 2w
        (1.0, [0.800000011920929])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        checked = []
        for gi, group in enumerate(self.param_groups):
            hp = self._check_hyperparameters(group)
            for i, p in enumerate(group["params"]):
                if p.grad is not None:
                    self._check_grad(p, gi, i)
                    self._check_state(p, gi, i, hp)
            checked.append(hp)
        # Commit parameter by parameter: peak extra memory is one parameter's
        # temporaries, not a copy of the whole model.
        for group, hp in zip(self.param_groups, checked):
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp = p.backend.xp
                state = self.state[p] or self._init_state(p.data, hp, xp)
                new_param, new_state = self._update(p.data, p.grad.data, state, hp, xp)
                p.data = new_param
                self.state[p] = new_state
        return loss

    # -- state dicts -------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state as plain data: host NumPy arrays, Python numbers, index lists.

        ``{"state": {index: {key: value}}, "param_groups": [{hyper-parameters,
        "params": [index, ...]}]}``, parameters numbered across the groups in
        order, as PyTorch; save it with :func:`xpnet.save`.

        >>> import xpnet
        >>> w = xpnet.ones(2, requires_grad=True)
        >>> opt = xpnet.optim.Adam([w])
        >>> w.sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sd["param_groups"][0]["params"], sorted(sd["state"][0])
        ([0], ['exp_avg', 'exp_avg_sq', 'step'])
        """
        groups, state, index = [], {}, 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            for p in group["params"]:
                if self.state.get(p):
                    state[index] = {k: (v if k == "step" else p.backend.to_numpy(v))
                                    for k, v in self.state[p].items()}
                index += 1
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict`.

        The parameters stay this optimizer's own; group ``g`` of the saved dict
        applies to ``self.param_groups[g]``.  Everything is validated first
        (group and parameter counts, hyper-parameters, state keys, shapes,
        ``step``), then the state arrays are copied to each parameter's backend
        and dtype.  On any error nothing is modified.

        >>> import xpnet
        >>> w = xpnet.ones(2, requires_grad=True)
        >>> opt = xpnet.optim.Adam([w], lr=0.01)
        >>> w.sum().backward(); opt.step()
        >>> resumed = xpnet.optim.Adam([w], lr=0.01)
        >>> resumed.load_state_dict(opt.state_dict())
        >>> resumed.state[w]["step"]
        1
        """
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups'; "
                             f"got {type(state_dict).__name__}"
                             + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else ""))
        saved_groups, saved_state = list(state_dict["param_groups"]), dict(state_dict["state"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter groups "
                             f"but this optimizer has {len(self.param_groups)}")
        new_groups, new_states, problems = [], [], []
        for gi, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            ids = list(saved.get("params", []))
            if len(ids) != len(group["params"]):
                raise ValueError(f"{name}: saved param_groups[{gi}] has {len(ids)} parameters "
                                 f"but this optimizer's has {len(group['params'])}")
            before = len(problems)
            missing = set(self.defaults) - set(saved)
            if missing:
                problems.append(f"saved param_groups[{gi}] lacks hyper-parameters "
                                f"{sorted(missing)}")
            new_group = self._known_group_keys(gi, saved, problems)
            if len(problems) > before:  # its state cannot be checked without its hyper-parameters
                for key in ids:
                    saved_state.pop(_scalar(key), None)
                continue
            hp = self._check_hyperparameters(new_group)
            new_group.update(hp)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
            for i, (p, key) in enumerate(zip(group["params"], ids)):
                where = f"state[{key}] (param_groups[{gi}]['params'][{i}])"
                entry = saved_state.pop(_scalar(key), None)
                new_states.append((p, self._load_entry(name, where, p, entry, hp, problems)))
        if saved_state:
            problems.append(f"state entries {sorted(saved_state, key=repr)} belong to no "
                            "parameter of the saved param_groups")
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems) + "; nothing was loaded")
        for group, new_group in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new_group)
        for p, entry in new_states:
            if entry is None:
                self.state.pop(p, None)
            else:
                self.state[p] = entry

    def _known_group_keys(self, gi: int, saved: dict, problems: list) -> dict:
        """The saved group's hyper-parameters, without PyTorch-only keys at neutral values;
        keys this optimizer cannot honour are added to ``problems``."""
        out, unknown = {}, []
        for k, v in saved.items():
            v = _scalar(v)
            if k == "params":
                continue
            if k in self.defaults or k in self._extra_group_keys:
                out[k] = v
            elif k in self._torch_neutral_keys:
                if not any(v is n or v == n for n in self._torch_neutral_keys[k]):
                    problems.append(f"saved param_groups[{gi}] has {k}={v!r}, which "
                                    f"{self._name} does not implement")
            else:
                unknown.append(k)
        if unknown:
            problems.append(f"saved param_groups[{gi}] has unknown keys {sorted(unknown, key=repr)}; "
                            f"{self._name} takes {sorted(self.defaults)}")
        return out

    def _load_entry(self, name: str, where: str, p: Any, entry: Any, hp: dict,
                    problems: list) -> Optional[dict]:
        """The validated state of one parameter, on its backend (None = no state yet);
        what is wrong with it is added to ``problems``."""
        if entry is None or (isinstance(entry, dict) and not entry):
            if self._eager_state:
                return self._init_state(p.data, hp, p.backend.xp)
            return None
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a dict; got {type(entry).__name__}")
            return None
        keys = set(self._state_keys(hp)) | ({"step"} if self._counts_steps else set())
        wrong = key_mismatch(keys, entry)
        if wrong:
            problems.append(f"{where} has keys {sorted(entry)} but {self._name} with these "
                            f"hyper-parameters keeps {sorted(keys)} ({', '.join(wrong)})")
        out = {}
        for k, v in entry.items():
            if k not in keys:
                continue
            if k == "step":
                step = _scalar(v)
                if isinstance(step, float) and step.is_integer():
                    step = int(step)  # PyTorch stores step as a float tensor
                try:
                    out[k] = check_int(name, f"{where}['step']", step, low=0)
                except (TypeError, ValueError) as e:
                    problems.append(str(e).removeprefix(f"{name}: "))
                continue
            host = as_host_array(v)
            shape = tuple(host.shape)
            if shape != tuple(p.shape):
                problems.append(f"{where}[{k!r}] has shape {shape} but the parameter has shape "
                                f"{tuple(p.shape)}")
            elif host.dtype.kind not in "fiu":
                problems.append(f"{where}[{k!r}] must hold real numbers; got dtype {host.dtype}")
            else:
                out[k] = p.backend.asarray(host, dtype=p.dtype)
        return out

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


__all__ = ["Optimizer", "ParamState"]
