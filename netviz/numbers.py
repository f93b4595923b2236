"""How netviz shows a number: one rule for every screen, so that rounding noise reads as 0.

An entry of an array is shown as it was computed, however small (A = 1e−300 is a value, not
noise): ``fmt`` gives its sign and 4 significant digits, and writes ±0 as ``0``.

A derived quantity (a mean or sum of entries, a chain-rule sum or product) may be 0 in theory and
land near 0 in floating point: Σ_k (ŷ − y)_k = Σŷ − 1 = 0, yet the computed mean of dZ3 reads
+1.9e−17 on one CPU and something else on another, because its digits depend on the order of the
additions. Such a value is shown as ``0`` when it lies within the rounding bound of the numbers
it was computed from:

    sum of n entries    |computed − exact| ≤ n·ε·Σ_k s_k
    mean of n entries   |computed − exact| ≤ n·ε·mean_k s_k
    product of k        |computed − exact| ≤ k·ε·Π_j |f_j|

ε is the dtype's machine epsilon (2.2e−16 for float64, 1.2e−7 for float32) and s_k the magnitude
of what entry k was computed from: |a_k| by default, or the op's equation evaluated on absolute
values (:func:`magnitude`: dZ3 = ŷ − y has magnitude |ŷ| + |y|, so a confident ŷ, whose dZ3 is
tiny while its rounding is relative to 1, still reads 0). Why n·ε: however the n terms are added
(one by one, pairwise, in the blocks a BLAS kernel uses), each partial sum is rounded at most
n − 1 times by at most ε/2 of its size, so the error stays under (n − 1)·(ε/2)·Σ|a_k| (Higham,
*Accuracy and Stability of Numerical Algorithms*, §4.2); n·ε doubles that for the rounding the
entries brought with them. A mean larger than the bound is a real number and is shown as one,
however small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .core.steps import YHAT

Array = np.ndarray

ZERO = "0"  # how a 0, a −0 and rounding noise are all written


def fmt(value: float) -> str:
    """A number as netviz prints it: sign and 4 significant digits (``+0.1234``, ``-3.5e-07``);
    0 and −0 as ``0``. Never longer than 11 characters (``+1.234e-305``)."""
    value = float(value)
    return ZERO if value == 0 else f"{value:+.4g}"


def epsilon(dtype: np.dtype | type = np.float64) -> float:
    """Machine epsilon of a float dtype; 0 for integers, whose sums are exact."""
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.inexact) else 0.0


def sum_bound(a: Array, scale: Array | None = None) -> float:
    """The rounding bound n·ε·Σ s of a sum of the n entries of ``a``.

    ``scale`` (the shape of ``a``): the magnitude of what each entry was computed from; |a| when
    None (or where smaller than |a|).
    """
    a = np.asarray(a)
    s = np.abs(a) if scale is None else np.maximum(np.abs(a), np.abs(scale))
    return a.size * epsilon(a.dtype) * float(np.sum(s, dtype=np.float64))


def mean_bound(a: Array, scale: Array | None = None) -> float:
    """The rounding bound n·ε·mean(s) of the mean of the n entries of ``a`` (see sum_bound)."""
    a = np.asarray(a)
    return sum_bound(a, scale) / a.size if a.size else 0.0


def product_bound(factors: Sequence[float], dtype: np.dtype | type = np.float64) -> float:
    """The rounding bound k·ε·Π|f| of a product of k factors (0 only when a factor is 0)."""
    return len(factors) * epsilon(dtype) * float(np.prod(np.abs(np.asarray(factors, float))))


def derived(value: float, bound: float) -> str:
    """A derived number (mean, sum, chain-rule result): ``0`` when |value| ≤ its rounding
    ``bound``, else as :func:`fmt` writes it."""
    return ZERO if abs(float(value)) <= bound else fmt(value)


def mean_text(a: Array, scale: Array | None = None) -> str:
    """The mean of ``a`` as shown: ``0`` within its rounding bound (see mean_bound)."""
    a = np.asarray(a)
    return derived(float(np.mean(a)), mean_bound(a, scale))


def sum_text(a: Array, scale: Array | None = None) -> str:
    """The sum of ``a`` as shown: ``0`` within its rounding bound (see sum_bound)."""
    a = np.asarray(a)
    return derived(float(np.sum(a)), sum_bound(a, scale))


def stats_line(a: Array, scale: Array | None = None) -> str:
    """``min … mean … max …``: min and max are entries (as computed), the mean is derived."""
    a = np.asarray(a)
    return f"min {fmt(a.min())}  mean {mean_text(a, scale)}  max {fmt(a.max())}"


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as headings write it: ``(16, 784)``, and ``scalar`` for the 0-d shape ()."""
    return "scalar" if shape == () else str(tuple(shape))


def cell_width(a: Array) -> int:
    """The width every entry of ``a`` fits in when written by fmt: 11 where some exponent has
    three digits (|x| < 1e−99 or ≥ 1e100), else 10, so the columns of a matrix stay aligned."""
    m = np.abs(np.asarray(a, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        wide = ((m > 0) & (m < 1e-99)) | ((m >= 1e100) & np.isfinite(m))
    return 11 if wide.any() else 10


def magnitude(name: str, values: Mapping[str, Array], L: int) -> Array | None:
    """What each entry of ``values[name]`` was computed from, in absolute value: the lesson's
    equation evaluated on |inputs|. None where that is the array itself or an input is missing
    (the rounding bound then uses |a|).

        dZL = ŷ − y            → |ŷ| + |y|              (L: the output layer)
        dWl = dZl·A(l−1)ᵀ      → M(dZl)·|A(l−1)|ᵀ       (A0 is x; M(dZl) is |dZl| below L)
        dbl = dZl              → M(dZl)
        dA(l−1) = Wlᵀ·dZl      → |Wl|ᵀ·M(dZl)
        Zl = Wl·A(l−1) + bl    → |Wl|·|A(l−1)| + |bl|
    """
    m = _magnitude(name, values, L)
    if m is None or name not in values:
        return m
    return m.reshape(np.shape(values[name]))


def _magnitude(name: str, values: Mapping[str, Array], L: int) -> Array | None:
    """magnitude() before it is given the array's own shape."""
    kind, layer = (name[:1], name[1:]) if name[:1] == "Z" else (name[:2], name[2:])
    layer = int(layer) if layer.isdigit() else 0
    if not 1 <= layer <= L:
        return None
    below = "x" if layer == 1 else f"A{layer - 1}"

    def dz(l: int) -> Array | None:
        if l == L and YHAT in values and "y" in values:
            return np.abs(values[YHAT]).reshape(-1, 1) + np.abs(values["y"]).reshape(-1, 1)
        return np.abs(values[f"dZ{l}"]).reshape(-1, 1) if f"dZ{l}" in values else None

    if kind == "dZ":
        return dz(layer) if layer == L else None
    if kind == "db":
        return dz(layer)
    if kind == "dW" and below in values and (m := dz(layer)) is not None:
        return m @ np.abs(values[below]).reshape(-1, 1).T
    if kind == "dA" and f"W{layer + 1}" in values and (m := dz(layer + 1)) is not None:
        return np.abs(values[f"W{layer + 1}"]).T @ m
    if kind == "Z" and {f"W{layer}", f"b{layer}", below} <= values.keys():
        b = np.abs(values[f"b{layer}"]).reshape(-1, 1)
        return np.abs(values[f"W{layer}"]) @ np.abs(values[below]).reshape(-1, 1) + b
    return None


# How far a learner's value may be from the reference's and still be the same number: this
# fraction of the largest magnitude involved. In float64, sums added in another order move a
# result by about n·1e−16 of it: far below 1e−7. A float32 script's values carry float32's
# rounding (1.2e−7 a step, piling up over a pass): 1e−3.
RTOL = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-3}
DIFFERS = "◆"  # an entry where theirs differs from the reference: readable without colour
NAMED = 4  # differing entries named in a diff's line (the largest differences first)


def tolerance(expected: Array, scale: Array | None, dtype: np.dtype | type) -> float:
    """How far a value computed in ``dtype`` may be from ``expected`` and still be the same
    number: RTOL[dtype] of the largest finite magnitude involved. ``scale`` is the rule computed
    on magnitudes (|W|·|A| + |b| for Z), so a sum whose terms cancel is judged by its terms."""
    top = 0.0
    for a in (expected, scale):
        if a is not None and a.size:
            biggest = float(np.abs(a).max())
            if not np.isfinite(biggest):  # the finite entries' largest, then
                finite = np.abs(a[np.isfinite(a)])
                biggest = float(finite.max()) if finite.size else 0.0
            top = max(top, biggest)
    return RTOL.get(np.dtype(dtype), 1e-7) * max(top, 1e-300)


def differing(theirs: Array, reference: Array, scale: Array | None = None) -> Array:
    """Which entries of ``theirs`` (a learner's value, or a fork's) differ from ``reference``
    beyond rounding: a bool mask of theirs' shape, every entry True when the shapes differ.

    Finite entries differ where |theirs − reference| > :func:`tolerance`, the rule ``netviz
    check`` judges a learner's values by: 1e−7 of the reference's largest |x| (a float64
    script, or a fork beside its run); 1e−3 of the largest of the reference and ``scale`` when
    theirs is float32 beside a float64 reference (:func:`compared_scale`: the terms of a slope
    that float32 rounds away). A NaN or an infinity differs unless the reference holds the same
    there (NaN for NaN, +∞ for +∞)."""
    t, r = np.asarray(theirs), np.asarray(reference)
    if t.shape != r.shape:
        return np.ones(t.shape, dtype=bool)
    float32 = in_float32(t, r)
    limit = tolerance(r, scale if float32 else None, np.float32 if float32 else np.float64)
    t, r = t.astype(np.float64, copy=False), r.astype(np.float64, copy=False)
    finite = np.isfinite(t) & np.isfinite(r)
    with np.errstate(over="ignore", invalid="ignore"):
        off = np.abs(t - r) > limit
    same_special = (np.isnan(t) & np.isnan(r)) | (t == r)
    return np.where(finite, off, ~same_special)


def in_float32(theirs: Array, reference: Array) -> bool:
    """Whether ``theirs`` was computed in float32 beside a reference in another precision (a
    float32 script's values beside the float64 reference): :func:`differing` then allows
    float32's rounding, and :func:`verdict` says so."""
    return np.asarray(theirs).dtype == np.float32 and np.asarray(reference).dtype != np.float32


def compared_scale(name: str, inputs: Mapping[str, Array]) -> Array | None:
    """What a float32 learner's output ``name`` is judged by beside the float64 reference
    (:func:`differing`), beyond the reference's own values: for a hidden layer's dZl = f′⊙dAl,
    (1 + a²)·|dAl| with a = min(|Al|, 1) (from the op's ``inputs``), which bounds the slope's
    terms (σ′ = A(1−A), tanh′ = 1 − A², relu′ = 0 or 1). Where a neuron saturates, f′ computed
    from a float32 A loses its digits (σ′ of an A that rounded to 1 is 0, where float64's is
    1e−9): every entry of dZ may be that small, and the difference is A's rounding, not a
    mistake. None for any other output."""
    layer = name[2:]
    A, dA = inputs.get(f"A{layer}"), inputs.get(f"dA{layer}")
    if not (name.startswith("dZ") and layer.isdigit()) or A is None or dA is None:
        return None
    a, dA = np.minimum(np.abs(A), 1.0), np.asarray(dA, dtype=np.float64)
    if a.shape != dA.shape:
        return None
    return (1.0 + a * a) * np.abs(dA)


def differences(theirs: Array, reference: Array, scale: Array | None = None) -> tuple[Array, Array]:
    """(the difference as shown, the mask of differing entries) of two arrays of one shape:
    theirs − reference where an entry differs (:func:`differing`), 0 where it is the same to
    rounding."""
    theirs, reference = np.asarray(theirs), np.asarray(reference)
    mask = differing(theirs, reference, scale)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(mask, theirs - reference, 0.0), mask


def shapes_differ(theirs_shape: tuple[int, ...], reference_shape: tuple[int, ...]) -> str:
    """``the shapes differ: theirs is (5,), the reference (16, 1)``."""
    return (
        f"the shapes differ: theirs is {shape_text(theirs_shape)}, the reference "
        f"{shape_text(reference_shape)}"
    )


def verdict(
    mask: np.ndarray, sides: tuple[str, ...] = ("theirs", "the reference"), float32: bool = False
) -> str:
    """``theirs vs the reference: K of N entries differ``, or that they are the same (``to
    float32's rounding`` when theirs was judged by it: :func:`in_float32`)."""
    k, pair = int(mask.sum()), f"{sides[0]} vs {sides[1]}"
    if not k:
        rounding = "float32's rounding" if float32 else "rounding"
        return f"{pair}: the same, to {rounding}"
    entries = "entry" if mask.size == 1 else "entries"
    return f"{pair}: {k} of {mask.size} {entries} differ"


def largest_first(difference: np.ndarray, mask: np.ndarray) -> list[tuple[int, ...]]:
    """The indices of the differing entries, the largest |difference| first (a NaN or an
    infinity counts as the largest), ties in index order."""
    where = np.argwhere(mask)
    size = np.abs(difference[mask])
    order = np.argsort(-np.where(np.isfinite(size), size, np.inf), kind="stable")
    return [tuple(int(i) for i in where[k]) for k in order]


def differing_entries(name: str, difference: np.ndarray, mask: np.ndarray, width: int) -> str:
    """``◆ dW2[2, 5], dW2[0, 1] and 3 more``: the differing entries, largest difference first,
    as many as fit ``width`` (at least one, at most NAMED); a vector's by one index."""
    where = largest_first(difference, mask)
    vector = difference.ndim == 2 and difference.shape[1] == 1
    names = [f"{name}[{', '.join(map(str, i[:1] if vector else i))}]" if i else name for i in where]
    for n in range(min(NAMED, len(names)), 0, -1):
        more = len(names) - n
        line = f"{DIFFERS} {', '.join(names[:n])}" + (f" and {more} more" if more else "")
        if len(line) <= width or n == 1:
            return line
    return DIFFERS
