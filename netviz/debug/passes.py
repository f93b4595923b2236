"""The debugger's tools over one example's pass: how a gradient entry was built (the chain-rule
card), a numerical check of the current layer's gradients, and where to find misclassified
examples. Numpy and netviz.core only; the session calls these with its own state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..core.activations import Activation
from ..core.epoch import CHUNK
from ..core.gradcheck import ArrayCheck, check_arrays
from ..core.network import Params, forward
from ..core.steps import YHAT, Op

Array = np.ndarray


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: its name as written, its value, and the neuron it
    comes from, (layer, index), for the network view to highlight (layer 0 is the input; index
    −1 means the whole layer, for a factor that sums over it)."""

    name: str
    value: float
    source: tuple[int, int] | None = None


@dataclass(frozen=True)
class ChainCard:
    """How a gradient entry was built: ``value`` = the ``factors`` multiplied (or, where
    ``combine`` is "sum", added: dZL = ŷ − y, dA = Σ W·dZ); ``expansion`` writes the first factor
    out one step further down the chain (None where there is no further step)."""

    entry: str
    value: float
    equation: str
    factors: tuple[Factor, ...]
    combine: str = "product"
    expansion: ChainCard | None = None

    @property
    def result(self) -> float:
        """The factors combined: equals ``value`` up to rounding (that is the point)."""
        values = [f.value for f in self.factors]
        return float(np.sum(values) if self.combine == "sum" else np.prod(values))


def pass_values(ops: tuple[Op, ...]) -> dict[str, Array]:
    """Every array of a pass by name: its context (x, y, W, b, α) and every op's output."""
    values: dict[str, Array] = {}
    for op in ops:
        for name, a in op.inputs.items():
            values.setdefault(name, a)
        if op.phase != "upd":  # an update's output W1 is the next W1, not the one used
            values.update(op.outputs)
    return values


def chain_rule(
    ops: tuple[Op, ...], hidden: Activation, name: str, index: tuple[int, ...]
) -> ChainCard:
    """The chain-rule card for gradient entry ``name[index]`` (dW, db, dZ or dA of a layer).

    dWl[i, j] = dZl[i]·A(l−1)[j]         dbl[i] = dZl[i]
    dZl[i] = Al[i](1−Al[i])·dAl[i]       (hidden layers; the slope from ``hidden``)
    dZL[i] = ŷ[i] − y[i]                 dAl[j] = Σ_i W(l+1)[i, j]·dZ(l+1)[i]
    """
    v = pass_values(ops)
    L = sum(1 for k in v if k.startswith("W"))
    kind, layer = name[:2], int(name[2:]) if name[2:].isdigit() else 0
    if kind not in ("dW", "db", "dZ", "dA") or not 1 <= layer <= L or name not in v:
        raise ValueError(f"{name} is not a gradient of this pass")
    value = v[name][index].item()  # (16, 1) vectors take one index
    prev = "x" if layer == 1 else f"A{layer - 1}"
    if kind == "dW":
        i, j = index
        factors = (
            Factor(f"dZ{layer}[{i}]", float(v[f"dZ{layer}"][i, 0]), (layer, i)),
            Factor(f"{prev}[{j}]", float(v[prev][j, 0]), (layer - 1, j)),
        )
        equation = f"∂cost/∂W{layer}[{i}, {j}] = dZ{layer}[{i}]·{prev}[{j}]"
        return ChainCard(
            f"dW{layer}[{i}, {j}]", value, equation, factors,
            expansion=_dz_card(v, hidden, layer, i, L),
        )  # fmt: skip
    if kind == "db":
        i = index[0]
        factors = (Factor(f"dZ{layer}[{i}]", float(v[f"dZ{layer}"][i, 0]), (layer, i)),)
        equation = f"∂cost/∂b{layer}[{i}] = dZ{layer}[{i}]"
        return ChainCard(
            f"db{layer}[{i}]", value, equation, factors, expansion=_dz_card(v, hidden, layer, i, L)
        )
    if kind == "dZ":
        return _dz_card(v, hidden, layer, index[0], L)
    return _da_card(v, layer, index[0])


def _dz_card(v, hidden: Activation, layer: int, i: int, L: int) -> ChainCard:
    """dZl[i] one step further down: ŷ − y at the output, slope·dA in a hidden layer."""
    value = float(v[f"dZ{layer}"][i, 0])
    if layer == L:
        factors = (
            Factor(f"{YHAT}[{i}]", float(v[YHAT][i, 0]), (L, i)),
            Factor(f"−y[{i}]", -float(v["y"][i, 0])),
        )
        return ChainCard(f"dZ{L}[{i}]", value, f"dZ{L}[{i}] = {YHAT}[{i}] − y[{i}]", factors, "sum")
    slope_name = hidden.slope_equation(f"A{layer}[{i}]", f"Z{layer}[{i}]")
    slope = float(hidden.slope(v[f"A{layer}"][i : i + 1, 0])[0])
    factors = (
        Factor(slope_name, slope, (layer, i)),
        Factor(
            f"(W{layer + 1}ᵀ·dZ{layer + 1})[{i}]", float(v[f"dA{layer}"][i, 0]), (layer + 1, -1)
        ),
    )
    equation = f"dZ{layer}[{i}] = {slope_name}·(W{layer + 1}ᵀ·dZ{layer + 1})[{i}]"
    return ChainCard(f"dZ{layer}[{i}]", value, equation, factors, expansion=_da_card(v, layer, i))


def _da_card(v, layer: int, i: int) -> ChainCard:
    """dAl[i] = Σ_k W(l+1)[k, i]·dZ(l+1)[k]: the error sent back from the layer above."""
    W, dZ = v[f"W{layer + 1}"], v[f"dZ{layer + 1}"]
    factors = tuple(
        Factor(
            f"W{layer + 1}[{k}, {i}]·dZ{layer + 1}[{k}]", float(W[k, i] * dZ[k, 0]), (layer + 1, k)
        )
        for k in range(W.shape[0])
    )
    up = layer + 1
    equation = f"dA{layer}[{i}] = (W{up}ᵀ·dZ{up})[{i}] = Σ_k W{up}[k, {i}]·dZ{up}[k]"
    return ChainCard(f"dA{layer}[{i}]", float(v[f"dA{layer}"][i, 0]), equation, factors, "sum")


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
        for start in range(0, X.shape[1], CHUNK):
            out = forward(params, X[:, start : start + CHUNK], hidden)[f"A{L}"]
            bad = np.flatnonzero(out.argmax(axis=0) != labels[start : start + CHUNK])
            wrong.append(bad + start)
    return np.concatenate(wrong) if wrong else np.zeros(0, dtype=int)


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
