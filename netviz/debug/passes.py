"""What one example's recorded pass holds (its arrays by name, as a watch reads them at an op,
and the weights it used), a numerical check of a layer's gradients, and where to find
misclassified examples. Numpy and netviz.core only; the session calls these with its own state.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.activations import Activation
from ..core.epoch import DEFAULT_PLAN
from ..core.gradcheck import ArrayCheck, check_arrays
from ..core.network import Params, forward
from ..core.steps import YHAT, Op

Array = np.ndarray


def pass_values(ops: tuple[Op, ...]) -> dict[str, Array]:
    """Every array of a pass by name: its context (x, y, W, b, α) and every op's output."""
    values: dict[str, Array] = {}
    for op in ops:
        for name, a in op.inputs.items():
            values.setdefault(name, a)
        if op.phase != "upd":  # an update's output W1 is the next W1, not the one used
            values.update(op.outputs)
    return values


def check_layer(
    params: Params, x: Array, label: int, hidden: Activation, layer: int, rng: np.random.Generator
) -> list[ArrayCheck]:
    """``v``: layer ``layer``'s W and b against central differences of this one example's cost,
    with the gradient check's verdict per array (:func:`netviz.core.gradcheck.check_arrays`):
    every entry of an array of up to 300 (W2, W3), else the 20 entries where backprop's gradient
    is largest, 20 at random and a random direction through all of them (W1 has 12,544).
    In float64 whatever the network trains in."""
    X = np.asarray(x).reshape(-1, 1)
    names = [f"W{layer}", f"b{layer}"]
    y = np.array([label])
    return check_arrays(params, X, y, hidden, rng, names, budget=40, every_up_to=300)


def misclassified(params: Params, X: Array, labels: Array, hidden: Activation) -> Array:
    """Indices of the columns of ``X`` the network gets wrong, in order."""
    L, wrong = len(params.W), []
    with np.errstate(over="ignore", invalid="ignore"):
        step = DEFAULT_PLAN.chunk  # columns at a time: memory stays a few MB
        for start in range(0, X.shape[1], step):
            out = forward(params, X[:, start : start + step], hidden)[f"A{L}"]
            bad = np.flatnonzero(out.argmax(axis=0) != labels[start : start + step])
            wrong.append(bad + start)
    return np.concatenate(wrong) if wrong else np.zeros(0, dtype=int)


def pass_input_gradient(ops: tuple[Op, ...], hidden: Activation) -> Array:
    """dC/dx (784,) of a pass's example at the weights the pass used: how each of its pixels
    moves its cost (:mod:`netviz.core.saliency`), for the label its backprop used (the one-hot
    y the pass holds; for a digit without a label, the guess it had then)."""
    from ..core.saliency import input_gradient

    values = pass_values(ops)
    params, x = pass_weights(ops), np.asarray(values["x"]).reshape(-1, 1)
    label = int(np.argmax(np.asarray(values["y"]).reshape(-1)))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return input_gradient(params, x, hidden, label=label).reshape(-1)


def op_tensors(ops: tuple[Op, ...], index: int) -> Mapping[str, Array]:
    """What a watch expression can name at op ``index``: the pass's context and every output
    reached so far (so ``dW1`` is unknown until backprop reaches it)."""
    values: dict[str, Array] = {}
    for op in ops[: index + 1]:
        for name, a in op.inputs.items():
            values.setdefault(name, a)
        values.update(op.outputs)
    return with_aliases(values)


def with_aliases(values: dict[str, Array]) -> dict[str, Array]:
    """``values`` with ``yhat`` for ŷ and ``alpha`` for α added: names easier to type."""
    for name, alias in ((YHAT, "yhat"), ("α", "alpha")):
        if name in values:
            values[alias] = values[name]
    return values


def pass_weights(ops: tuple[Op, ...]) -> Params:
    """The weights a pass used: its ops' W and b inputs, by name."""
    values = pass_values(ops)
    L = sum(1 for name in values if name[0] == "W" and name[1:].isdigit())
    return Params.from_named({f"{w}{l}": values[f"{w}{l}"] for l in range(1, L + 1) for w in "Wb"})


def group_starts(ops: tuple[Op, ...]) -> list[int]:
    """Indices where a new (phase, layer) group of ops begins."""
    return [
        k
        for k, op in enumerate(ops)
        if k == 0 or (op.phase, op.layer) != (ops[k - 1].phase, ops[k - 1].layer)
    ]
