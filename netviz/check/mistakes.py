"""The common mistakes of a from-scratch network, each as the wrong rule it applies.

A mistake is named only when it is proven: its wrong rule, computed from the learner's own
inputs to the op, reproduces the learner's values (to the same tolerance as a match). Each entry
says at which op it can show, and its rule returns None where it cannot apply (a transposed
weight matrix is only silent when the matrix is square).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.network import one_hot
from .names import split
from .reference import Pass, agrees

Array = np.ndarray


@dataclass(frozen=True)
class Update:
    """What an update of one parameter is checked against: their weights before it, the rule's
    gradient sum over the epoch's passes so far (``total``; the whole epoch at a proper update),
    the last pass's own gradient (``last``), their α, ``m`` the examples summed, their own m
    (a variable; None if they keep none), the passes it followed and the examples the epoch's
    loop runs over (``epoch_size``: X's columns, or their m)."""

    before: Array
    total: Array
    last: Array
    alpha: float
    m: int
    their_m: int | None
    passes: int
    epoch_size: int


@dataclass(frozen=True)
class Mistake:
    """A named mistake: ``ops`` the op kinds it shows at (Z, A, yhat, y, dZ, dA, dW, db, acc,
    update); ``rule`` recomputes the op its wrong way."""

    id: str
    title: str
    why: str
    ops: tuple[str, ...]
    rule: Callable[..., Array | None]


def _square(W: Array) -> bool:
    return W.ndim == 2 and W.shape[0] == W.shape[1]


def _naive_sigmoid_forms(p: Pass, l: int) -> list[Array]:
    Z = p.get(f"Z{l}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return [np.exp(Z) / (1 + np.exp(Z)), 1 / (1 + np.exp(-Z)), 1 / (1 + np.exp(-Z + 1e-5))]


def _naive_softmax_forms(p: Pass, l: int) -> list[Array]:
    Z = p.get(f"Z{l}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e, e5 = np.exp(Z), np.exp(Z + 1e-5)
        return [e / e.sum(axis=0, keepdims=True), e5 / e5.sum(axis=0, keepdims=True)]


def _overflow(p: Pass, l: int, last: bool) -> list[Array]:
    forms = _naive_softmax_forms(p, l) if last else _naive_sigmoid_forms(p, l)
    return [f for f in forms if not np.isfinite(f).all()]  # only a form that overflowed


def _wrong_layer(p: Pass, l: int) -> list[Array]:
    dZ, shape = p.get(f"dZ{l}"), p.get(f"W{l}").shape
    out = []
    for k in range(p.layers):
        if k != l - 1:
            candidate = dZ @ p.get(f"A{k}").T
            if candidate.shape == shape:
                out.append(candidate)
    return out


def _axis_sums(p: Pass, l: int) -> list[Array]:
    dZ, m = p.get(f"dZ{l}"), p.get(f"dZ{l}").shape[1]
    return [dZ.sum(axis=0), np.array(dZ.sum()), dZ.sum(axis=0) / m, np.array(dZ.sum() / m)]


def _one_hot_shifted(p: Pass, l: int) -> list[Array]:
    if p.labels is None:
        return []
    k = p.get(f"W{p.layers}").shape[0]
    return [one_hot((p.labels + shift) % k, k) for shift in (-1, 1)]


def _softmax_axis(p: Pass, l: int) -> list[Array]:
    Z = p.get(f"Z{l}")
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(Z - Z.max())
        return [e / e.sum(axis=1, keepdims=True), e / e.sum()] if Z.shape[1] > 1 else [e / e]


def _transposed_back_dz(p: Pass, l: int) -> list[Array]:
    W = p.get(f"W{l + 1}")
    if not _square(W):
        return []
    return [p.hidden.slope(p.get(f"A{l}")) * (W @ p.get(f"dZ{l + 1}"))]


CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        "missing_bias",
        "a missing bias",
        "Z = W·A without + b: the rule is Z = W·A + b",
        ("Z",),
        lambda p, l: [p.get(f"W{l}") @ p.get(f"A{l - 1}")],
    ),
    Mistake(
        "transposed_forward",
        "transposed weights",
        "Z = Wᵀ·A + b: W is square here, so the transposed product runs but mixes the wrong inputs",
        ("Z",),
        lambda p, l: (
            [p.get(f"W{l}").T @ p.get(f"A{l - 1}") + p.get(f"b{l}")[:, None]]
            if _square(p.get(f"W{l}"))
            else []
        ),
    ),
    Mistake(
        "exp_overflow",
        "exp overflow turned into nan or inf",
        "exp of a large Z overflows to inf, and inf/inf is nan; the stable forms never overflow",
        ("A",),
        lambda p, l: _overflow(p, l, l == p.layers),
    ),
    Mistake(
        "softmax_unnormalised",
        "softmax not normalised",
        "ŷ = exp(Z) without dividing by Σ exp(Z): the outputs must sum to 1",
        ("A",),
        lambda p, l: [np.exp(p.get(f"Z{l}"))] if l == p.layers else [],
    ),
    Mistake(
        "softmax_axis",
        "softmax over the wrong axis",
        "the sum must run over the 10 outputs of each example (axis 0), not over examples",
        ("A",),
        lambda p, l: _softmax_axis(p, l) if l == p.layers else [],
    ),
    Mistake(
        "one_hot",
        "one-hot label built wrong",
        "y must hold a single 1, at the row of the example's label",
        ("y",),
        _one_hot_shifted,
    ),
    Mistake(
        "sign",
        "ŷ − y with its sign reversed",
        "the output error is dZ = ŷ − y; y − ŷ sends every gradient the wrong way",
        ("dZ",),
        lambda p, l: [p.get("y") - p.get(f"A{l}")] if l == p.layers else [],
    ),
    Mistake(
        "no_slope",
        "missing activation slope",
        "dZ = dA, without the factor f′(Z): the chain rule multiplies by the activation's slope",
        ("dZ",),
        lambda p, l: [p.get(f"dA{l}")] if l < p.layers else [],
    ),
    Mistake(
        "slope_from_z",
        "slope from Z instead of A",
        "σ′ written A(1−A) needs A = σ(Z); it was given Z",
        ("dZ",),
        lambda p, l: [p.hidden.slope(p.get(f"Z{l}")) * p.get(f"dA{l}")] if l < p.layers else [],
    ),
    Mistake(
        "transposed_backward",
        "transposed weights",
        "the error goes back through Wᵀ: dA = Wᵀ·dZ; W is square here, so W·dZ runs silently",
        ("dZ", "dA"),
        lambda p, l: _transposed_back_dz(p, l) if l < p.layers else [],
    ),
    Mistake(
        "wrong_layer_outer",
        "the wrong layer's activation in an outer product",
        "dWl = dZl·A(l−1)ᵀ: the activation of the layer below, the one Wl multiplies",
        ("dW",),
        _wrong_layer,
    ),
    Mistake(
        "bias_axis",
        "bias gradient summed over the wrong axis",
        "db = Σ over examples of dZ (axis 1, one entry per neuron), not over neurons or everything",
        ("db",),
        _axis_sums,
    ),
)

# Mistakes of a running sum (rule: their sum at the last update, the rule's sum now) and of an
# update (rule: an Update, their weights before it and the rule's sums).
UPDATES: tuple[Mistake, ...] = (
    Mistake(
        "not_reset",
        "gradients not reset between epochs",
        "the sums dW must start from 0 each epoch; these still hold the last epoch's",
        ("acc",),
        lambda previous, running: [previous + running],
    ),
    Mistake(
        "update_in_loop",
        "update inside the example loop",
        "full-batch descent sums every example's gradient and updates once, after the loop",
        ("update",),
        lambda u: (
            [u.before - u.alpha * u.last / k for k in {u.their_m or u.epoch_size, u.epoch_size, 1}]
            if u.passes < u.epoch_size
            else []
        ),
    ),
    Mistake(
        "wrong_m",
        "m is not the number of examples summed",
        "ΣdW/m is the mean gradient only when m counts the examples in the sum",
        ("update",),
        lambda u: (
            [u.before - u.alpha * u.total / u.their_m]
            if u.their_m and u.their_m != u.m and u.m > 1
            else []
        ),
    ),
    Mistake(
        "no_update",
        "the weights are never updated",
        "gradient descent changes W once an epoch: W ← W − α·ΣdW/m; without it nothing learns",
        ("update",),
        lambda u: [u.before],
    ),
    Mistake(
        "not_divided",
        "update not divided by m",
        "W ← W − α·ΣdW/m: the step uses the mean gradient; without /m it is m times too large",
        ("update",),
        lambda u: [u.before - u.alpha * u.total],
    ),
    Mistake(
        "divided_twice",
        "update divided by m twice",
        "W ← W − α·ΣdW/m divides once; dividing the mean by m again makes the step m times small",
        ("update",),
        lambda u: [u.before - u.alpha * u.total / u.m / u.m],
    ),
    Mistake(
        "lr_sign",
        "learning-rate sign",
        "descent steps against the gradient: W ← W − α·dW; + α climbs the cost",
        ("update",),
        lambda u: [u.before + u.alpha * u.total / u.m],
    ),
)


def diagnose(
    name: str,
    got: Array,
    p: Pass | None,
    update: Update | None,
    previous: Array | None,
    sums: Array | float,
    dtype: np.dtype,
    m: int | None = None,
) -> Mistake | None:
    """The first catalogued mistake whose wrong rule, from the learner's own inputs (pass ``p``,
    or the ``update``), reproduces ``got``; None when none does. For a gradient, ``previous`` is
    their running sum at the last update and ``sums`` the rule's over the epoch's earlier
    passes, so a wrong rule is tried as the pass's own, its mean (over the pass, or over the
    learner's own ``m``) and a running sum."""

    scale = None  # the op's rule on magnitudes: a sum that cancels (Σ dZ3 = 0) is judged by it
    if p is not None and update is None:
        try:
            scale = p.expected(name)[1]
        except (KeyError, LookupError, ValueError):
            scale = None

    def fits(forms) -> bool:
        return any(
            np.shape(f) == got.shape and agrees(got, np.asarray(f), scale, dtype) for f in forms
        )

    kind, l = split(name)
    kind = "A" if kind == "yhat" else kind
    if update is not None:
        return next((m for m in UPDATES if "update" in m.ops and fits(m.rule(update))), None)
    if p is None:
        return None
    if kind in ("dW", "db") and previous is not None:
        if fits(UPDATES[0].rule(previous, sums + p.expected(name)[0])):
            return UPDATES[0]
    for mistake in CATALOGUE:
        if kind in mistake.ops:
            try:
                forms = mistake.rule(p, l)
            except (ValueError, LookupError, KeyError):
                continue
            if kind in ("dW", "db"):
                means = [p.width] + ([m] if m else [])
                forms = [f for c in forms for f in (c, sums + c, *(c / k for k in means))]
            if fits(forms):
                return mistake
    return None
