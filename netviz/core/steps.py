"""One example's pass as the ordered ops a learner steps through, each with its real numbers.

forward L1 (Z1, A1), L2 (Z2, A2), L3 (Z3, ŷ), cost, backward L3 (dZ3, dW3, db3, dA2), L2 (dZ2,
dW2, db2, dA1), L1 (dZ1, dW1, db1), and, when a learning rate is given, what one gradient step on
this example alone would make of every W and b: ``W1′ = W1 − α·dW1``. That step is shown, never
applied (full-batch training sums every example's gradient and updates once per epoch), so its
result is named W1′, not W1: W1 stays the weights the pass used. The numbers come from
:func:`forward` and :func:`backward` (the same rules the full-batch epoch sums), so what a
learner steps through is what training computes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np

from .activations import Activation
from .network import Params, backward, costs, forward, frozen, one_hot

Array = np.ndarray
Phase = Literal["fwd", "cost", "bwd", "upd"]
OpName = Literal["Z", "A", "cost", "dZ", "dW", "db", "dA", "W", "b"]
PHASES: tuple[Phase, ...] = ("fwd", "cost", "bwd", "upd")
OP_NAMES: tuple[OpName, ...] = get_args(OpName)
YHAT = "ŷ"
PRIME = "′"  # W1′: what one step on this example alone would make of W1 (never applied)
NOT_APPLIED = "(not applied)"  # ends the single-example step's equation
_TOKEN = r"[A-Za-zŷα][A-Za-z0-9]*"  # an array's name in an equation; ᵀ and _k are not part of it


@dataclass(frozen=True)
class Op:
    """One op: ``outputs`` computed from ``inputs`` by ``equation`` (names as in the equation).

    Arrays are read-only column vectors (n, 1) for activations and their gradients, (n_l, n_{l−1})
    for weights, (n,) for biases, and 0-d (scalars) for the cost and α.
    """

    phase: Phase
    layer: int | None
    name: OpName
    equation: str
    inputs: Mapping[str, Array]
    outputs: Mapping[str, Array]

    @property
    def address(self) -> str:
        """Where this op sits in a pass: ``fwd/L2/Z``, ``cost``, ``bwd/L1/dW``, ``upd/L3/b``."""
        return "cost" if self.layer is None else f"{self.phase}/L{self.layer}/{self.name}"

    @property
    def result(self) -> tuple[str, Array]:
        """The op's one output, as (name, array)."""
        return next(iter(self.outputs.items()))

    @property
    def shapes(self) -> str:
        """The equation with each array replaced by its shape (a 0-d one by ``scalar``).

        ``Z2 = W2·A1 + b2`` reads ``(16, 1) = (16, 16)·(16, 1) + (16,)``; ``W2′ = W2 − α·dW2
        (not applied)`` reads ``(16, 16) = (16, 16) − scalar·(16, 16)``.
        """
        arrays = {**self.inputs, **self.outputs}
        names = sorted(arrays, key=len, reverse=True)  # W1′ before W1
        equation = self.equation.removesuffix(f" {NOT_APPLIED}")  # a note, not a shape
        pattern = re.compile(
            "|".join(rf"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9_{PRIME}])" for n in names)
        )
        return pattern.sub(lambda m: _shape_text(arrays[m.group(0)]), equation)


def _shape_text(a: Array) -> str:
    """An array's shape as the learner reads it: ``(16, 784)``, ``(16,)``, or ``scalar`` for a
    0-d array (the cost, α), whose numpy shape ``()`` reads as nothing."""
    return "scalar" if np.ndim(a) == 0 else str(np.shape(a))


def one_step(name: str) -> str:
    """The name of what one gradient step on a single example makes of weight ``name``:
    ``W1`` → ``W1′`` (shown by a pass's update ops, never applied to the network)."""
    return name + PRIME


def example_ops(
    params: Params, x: Array, label: int, hidden: Activation, alpha: float | None = None
) -> tuple[Op, ...]:
    """The ops of one example's pass: ``x`` (784,) or (784, 1) pixels, ``label`` its digit.

    With ``alpha``, ends with one op per W and b: ``W1′ = W1 − α·dW1 (not applied)``, the
    weights one gradient step on this example alone would give. Training never applies it (the
    full batch updates once per epoch with α·ΣdW/m), so the result is W1′ and W1 keeps meaning
    the weights this pass used.
    """
    x = frozen(np.array(x, dtype=params.dtype).reshape(-1, 1))
    labels = np.array([label])
    cache = forward(params, x, hidden)
    grads = backward(params, cache, labels, hidden)
    L = len(params.W)
    y = frozen(one_hot(labels, params.sizes[-1], params.dtype))
    v = {_name(k, L): frozen(a) for k, a in {**cache, **grads}.items()}
    v.update({"x": x, "y": y, **params.named()})
    v["cost"] = frozen(np.array(costs(cache[f"Z{L}"], labels)[0]))

    def op(phase: Phase, layer: int | None, name: OpName, equation: str) -> Op:
        out, rhs = re.split(r"\s*=\s*", equation, maxsplit=1)
        ins = MappingProxyType({n: v[n] for n in _names(rhs, v)})
        outs = MappingProxyType({out: v[out]})
        return Op(phase, layer, name, equation, ins, outs)

    ops = []
    for l in range(1, L + 1):
        prev, A = _name(f"A{l - 1}", L), _name(f"A{l}", L)
        ops.append(op("fwd", l, "Z", f"Z{l} = W{l}·{prev} + b{l}"))
        if l < L:
            ops.append(op("fwd", l, "A", hidden.equation(A, f"Z{l}")))
        else:
            ops.append(op("fwd", l, "A", f"{YHAT} = softmax(Z{l})"))
    # Shown as the definition; computed as log-sum-exp(Z) − Z[label], the same number without log 0.
    ops.append(op("cost", None, "cost", f"cost = −Σ_k y_k·log {YHAT}_k"))
    for l in range(L, 0, -1):
        prev, A = _name(f"A{l - 1}", L), f"A{l}"
        if l == L:
            ops.append(op("bwd", l, "dZ", f"dZ{l} = {YHAT} − y"))
        else:
            ops.append(op("bwd", l, "dZ", f"dZ{l} = {hidden.slope_equation(A, f'Z{l}')}⊙dA{l}"))
        ops.append(op("bwd", l, "dW", f"dW{l} = dZ{l}·{prev}ᵀ"))
        ops.append(op("bwd", l, "db", f"db{l} = dZ{l}"))
        if l > 1:
            ops.append(op("bwd", l, "dA", f"dA{l - 1} = W{l}ᵀ·dZ{l}"))
    if alpha is not None:
        v["α"] = frozen(np.array(alpha, dtype=params.dtype))
        for l in range(1, L + 1):
            for p, g in ((f"W{l}", f"dW{l}"), (f"b{l}", f"db{l}")):
                v[one_step(p)] = frozen(v[p] - alpha * v[g])
                ops.append(op("upd", l, p[0], f"{one_step(p)} = {p} − α·{g} {NOT_APPLIED}"))
    return tuple(ops)


def _name(key: str, L: int) -> str:
    """The equation's name for a cache key: A0 is the input x, AL the prediction ŷ."""
    return {"A0": "x", f"A{L}": YHAT}.get(key, key)


def _names(text: str, known: Mapping[str, Array]) -> list[str]:
    """The known array names in ``text``, in order of first appearance."""
    found = re.findall(_TOKEN, text)
    return list(dict.fromkeys(n for n in found if n in known))
