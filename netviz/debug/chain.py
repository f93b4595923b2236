"""The cards of one entry of an example's pass: how a gradient entry (dW, db, dZ or dA) was
built, as factors whose product (or sum) is the entry, each expandable one step further down the
chain; and the hand calculation of a forward entry (Z, A, ŷ), as a learner does it on paper.
Numpy and netviz.core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..core.activations import Activation
from ..core.steps import YHAT, Op
from ..numbers import product_bound, sum_bound
from .passes import pass_values

Array = np.ndarray


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: its name as written, its value, and the neuron it
    comes from, (layer, index), for the network view to highlight (layer 0 is the input; index
    −1 means the whole layer, for a factor that sums over it). ``parts``: the two numbers a
    term W[j, i]·x[i] multiplies, for a hand calculation to show."""

    name: str
    value: float
    source: tuple[int, int] | None = None
    parts: tuple[float, float] | None = None


@dataclass(frozen=True)
class ChainCard:
    """How an entry was built: ``value`` = the ``factors`` multiplied (or, where ``combine`` is
    "sum", added: dZL = ŷ − y, dA = Σ W·dZ, Z = Σ W·x + b; or, where it is "apply", put through
    the function the equation names, whose result is ``applied``: A = σ(Z)); ``expansion``
    writes the first factor out one step further down the chain (None where there is none).
    ``zeros`` counts a Z card's terms left out because their input (``inputs``: x or A1) is
    exactly 0 (W1[j, i]·0 for a black pixel): they change nothing, and a card of 784 terms
    would hide the ones that matter."""

    entry: str
    value: float
    equation: str
    factors: tuple[Factor, ...]
    combine: str = "product"
    expansion: ChainCard | None = None
    zeros: int = 0
    inputs: str = ""
    applied: float | None = None

    @property
    def result(self) -> float:
        """The factors combined: equals ``value`` up to rounding (that is the point)."""
        if self.combine == "apply":
            return float(self.applied)
        values = [f.value for f in self.factors]
        return float(np.sum(values) if self.combine == "sum" else np.prod(values))

    @property
    def forward(self) -> bool:
        """A forward entry's hand calculation (Z, A, ŷ), not a gradient's chain rule."""
        return not self.entry.startswith("d")


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
    …; column vectors), for a network of ``L`` weight layers. A forward entry (Z, A or ŷ) gets
    its hand calculation instead: :func:`forward_card`."""
    if name == YHAT or name[:1] in ("Z", "A"):
        return forward_card(v, hidden, name, index[0], L)
    kind, layer = name[:2], int(name[2:]) if name[2:].isdigit() else 0
    if kind not in ("dW", "db", "dZ", "dA") or not 1 <= layer <= L or name not in v:
        raise ValueError(f"{name} is neither a gradient nor a forward value of this pass")
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
        # named as the op's equation dZ = A(1−A)⊙dA names it; one step down it is W·dZ summed
        Factor(f"dA{layer}[{i}]", float(v[f"dA{layer}"][i, 0]), (layer + 1, -1)),
    )
    equation = f"dZ{layer}[{i}] = {slope_name}·dA{layer}[{i}]"
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


def forward_card(
    v: Mapping[str, Array], hidden: Activation, name: str, j: int, L: int
) -> ChainCard:
    """The hand calculation of forward entry ``name[j]`` (Zl, Al or ŷ), from one example's
    arrays by name, as on paper::

        Zl[j] = Σ_i Wl[j, i]·A(l−1)[i] + bl[j]    the terms that are not 0, largest first, then b
        Al[j] = σ(Zl[j])                           the activation applied; expands into Zl[j]
        ŷ[j] = exp(ZL[j] − m) / Σ_k exp(ZL[k] − m)  m = max ZL, as the softmax computes it
    """
    layer = L if name == YHAT else int(name[1:]) if name[1:].isdigit() else 0
    if not 1 <= layer <= L or name not in v or name == f"A{L}":
        raise ValueError(f"{name} is not a forward value of this pass")
    if name.startswith("Z"):
        return _z_card(v, layer, j)
    Z = np.asarray(v[f"Z{layer}"], dtype=float).reshape(-1)
    if name == YHAT:
        m = Z.max()
        e = np.exp(Z - m)
        factors = (
            Factor(f"exp(Z{L}[{j}] − m)", float(e[j]), (L, j)),
            Factor(f"Σ_k exp(Z{L}[k] − m)", float(e.sum()), (L, -1)),
            Factor(f"m = max Z{L}", float(m)),
        )
        equation = f"{YHAT}[{j}] = exp(Z{L}[{j}] − m) / Σ_k exp(Z{L}[k] − m)"  # m: a factor
        return ChainCard(
            f"{YHAT}[{j}]", _at(v, YHAT, j), equation, factors, "apply",
            _z_card(v, L, j), applied=float(e[j] / e.sum()),
        )  # fmt: skip
    z = np.asarray(v[f"Z{layer}"]).reshape(-1)[j : j + 1]
    with np.errstate(over="ignore", invalid="ignore"):
        applied = float(hidden.forward(z)[0])  # the very function the pass used
    equation = hidden.equation(f"A{layer}[{j}]", f"Z{layer}[{j}]")
    factors = (Factor(f"Z{layer}[{j}]", float(z[0]), (layer, j)),)
    return ChainCard(
        f"A{layer}[{j}]", _at(v, f"A{layer}", j), equation, factors, "apply",
        _z_card(v, layer, j), applied=applied,
    )  # fmt: skip


def _z_card(v: Mapping[str, Array], layer: int, j: int) -> ChainCard:
    """Zl[j] = Σ_i Wl[j, i]·A(l−1)[i] + bl[j]: the terms that are not 0, largest first, and the
    bias last; how many terms were 0 (their input was 0: a black pixel, a neuron at relu's 0)."""
    prev = "x" if layer == 1 else f"A{layer - 1}"
    W, inputs = np.asarray(v[f"W{layer}"]), np.asarray(v[prev]).reshape(-1)
    terms = W[j] * inputs
    kept = np.flatnonzero(inputs != 0)
    order = kept[np.argsort(-np.abs(terms[kept]), kind="stable")]
    factors = tuple(
        Factor(
            f"W{layer}[{j}, {i}]·{prev}[{i}]",
            float(terms[i]),
            (layer - 1, int(i)),
            (float(W[j, i]), float(inputs[i])),
        )  # fmt: skip
        for i in order
    ) + (Factor(f"b{layer}[{j}]", _at(v, f"b{layer}", j), None),)
    equation = f"Z{layer}[{j}] = Σ_i W{layer}[{j}, i]·{prev}[i] + b{layer}[{j}]"
    return ChainCard(
        f"Z{layer}[{j}]", _at(v, f"Z{layer}", j), equation, factors, "sum",
        zeros=int(inputs.size - kept.size), inputs=prev,
    )  # fmt: skip


def _at(v: Mapping[str, Array], name: str, j: int) -> float:
    """Entry ``j`` of a vector, stored as a column (16, 1) or flat (16,)."""
    return float(np.asarray(v[name]).reshape(-1)[j])


def result_bound(card: ChainCard, dtype: np.dtype | type = np.float64) -> float:
    """The rounding bound of a card's result, from its factors' magnitudes (see netviz.numbers):
    n·ε·Σ|term| for a sum (dZ3 = ŷ − y, dA = Σ W·dZ, Z = Σ W·x + b), k·ε·Π|factor| for a
    product, a few roundings of the value for an applied function (σ(Z), a softmax entry).
    ``dtype``: the network's, whose machine epsilon the bound uses."""
    values = [f.value for f in card.factors]
    if card.combine == "apply":
        return 8 * float(np.finfo(dtype).eps) * abs(card.result)
    if card.combine == "sum":
        return sum_bound(np.asarray(values, dtype=dtype))
    return product_bound(values, dtype)


def layout(card: ChainCard, largest: int) -> tuple[list[Factor], list[Factor], list[Factor]]:
    """The factors as a card lists them: (shown, left out, last). A Z card keeps its bias last,
    whatever else is left out. A sum of more than ``largest`` terms (besides the bias) shows its
    ``largest`` largest, in order of size; a shorter one shows them all, in their order."""
    factors, last = list(card.factors), []
    if card.forward and card.combine == "sum":
        factors, last = factors[:-1], factors[-1:]
    if card.combine != "sum" or len(factors) <= largest:
        return factors, [], last
    ordered = sorted(factors, key=lambda f: -abs(f.value))  # stable: a Z card's are in order
    return ordered[:largest], ordered[largest:], last
