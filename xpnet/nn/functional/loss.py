"""Loss functions with the names, signatures and numerics of ``torch.nn.functional``.

Every loss is one fused op (cross entropy: ``log_softmax`` then one fused
NLL-with-smoothing op): its forward works on raw arrays of the input's
backend (``x.backend.xp``, Array API standard only) and its backward, right
beside it, writes the closed-form gradient (``sigmoid(x) - y`` for BCE with
logits; ``-w onehot`` for NLL, which ``log_softmax``'s backward turns into
``softmax - onehot``), faster and more stable than a chain of primitives.

Reductions (``reduction=``): ``'none'`` returns the per-element (or, for the
classification losses, per-sample) losses ``l``; ``'sum'`` returns ``sum(l)``;
``'mean'`` returns ``sum(l) / n`` where ``n`` is the number of elements,
except for ``nll_loss``/``cross_entropy`` with class-index targets, where it
is the sum of the weights ``w[y_i]`` of the targets that are not
``ignore_index`` (the number of such targets without ``weight``), as PyTorch.
A mean over nothing (all targets ignored, empty input) is NaN, as PyTorch.

Dtypes: ``input`` must be floating point; floating targets and weights are
cast to ``input``'s dtype (their gradients are cast back).  Class weights,
``pos_weight`` and ``weight`` are constants: no gradient flows into them.
Targets of the regression and binary losses, and class-probability targets
of ``cross_entropy``, do receive gradients when they require them.

>>> import xpnet
>>> from xpnet.nn import functional as F
>>> logits = xpnet.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, xpnet.tensor([0]))
>>> round(loss.item(), 4)
0.2413
>>> loss.backward()        # softmax(logits) - onehot(0)

The family, one file per kind: :mod:`.loss_regression` (``mse_loss``,
``l1_loss``, ``huber_loss``), :mod:`.loss_binary` (``binary_cross_entropy``
and its logits form), :mod:`.loss_classification` (``nll_loss``,
``cross_entropy``, ``multi_margin_loss``); shared checks and reductions in
:mod:`._loss_common`.  See also :mod:`xpnet.nn.loss` for the module forms
(``nn.CrossEntropyLoss``...).
"""
from ._loss_common import check_ignore_index, check_number, check_p, check_reduction
from .loss_binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .loss_classification import cross_entropy, multi_margin_loss, nll_loss
from .loss_regression import huber_loss, l1_loss, mse_loss

__all__ = ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "multi_margin_loss",
           "check_reduction", "check_number", "check_p", "check_ignore_index"]
