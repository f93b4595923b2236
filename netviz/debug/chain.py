"""The chain-rule card: how one gradient entry (dW, db, dZ or dA) was built from the values of
one example's pass, as factors whose product (or sum) is the entry, each expandable one step
further down the chain. Numpy and netviz.core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..core.activations import Activation
from ..core.steps import YHAT, Op
from .passes import pass_values

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


def chain_rule(
    ops: tuple[Op, ...], hidden: Activation, name: str, index: tuple[int, ...]
) -> ChainCard:
    """The chain-rule card for gradient entry ``name[index]`` (dW, db, dZ or dA of a layer).

    dWl[i, j] = dZl[i]·A(l−1)[j]         dbl[i] = dZl[i]
    dZl[i] = Al[i](1−Al[i])·dAl[i]       (hidden layers; the slope from ``hidden``)
    dZL[i] = ŷ[i] − y[i]                 dAl[j] = Σ_i W(l+1)[i, j]·dZ(l+1)[i]
    """
    v = pass_values(ops)
    return card(v, hidden, name, index, sum(1 for k in v if k.startswith("W")))


def card(
    v: Mapping[str, Array], hidden: Activation, name: str, index: tuple[int, ...], L: int
) -> ChainCard:
    """:func:`chain_rule` from one example's arrays by name (x, y, W1, Z1, A1, ŷ, dZ1, dA1,
    …; column vectors), for a network of ``L`` weight layers."""
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
