"""Numerical gradient check: backprop's gradients against central differences of the cost, with
an honest verdict (what was measurable, what agreed, what could not be told).

**What is compared.** J(θ) is the mean cross-entropy over the examples given. Along a direction v
(one entry θ_i, or a random unit direction through a whole array), D(h) = (J(θ + hv) − J(θ − hv))
/ 2h and numeric = (4·D(ε/2) − D(ε)) / 3 (Richardson's extrapolation: truncation error O(ε⁴), not
O(ε²); raw 0–255 pixels make the cost curve sharply enough in W1 that plain D(ε) misses by 1e−5
where backprop is right). analytic = ΣdW/m from :func:`backward` (the gradient the update uses),
taken along the same v.

**What differences can measure.** Each J is computed in float64 with a rounding error of at most
δ = 8·u·max(1, |J|), u = 2.2e−16 (measured against 80-bit arithmetic on these networks: at most
2.3·u·max(1, |J|); 8 leaves room). D(h) divides the difference of two such values by 2h, and
Richardson's combination weighs them so that the numeric gradient's rounding error is at most
ν = 3δ/ε, the *noise bound*: a numeric gradient smaller than ν is rounding, not a measurement.
An entry is *measurable* when |numeric| ≥ 300·ν: an error of 1 % in backprop is then at least
3ν, three times the most that rounding can move the differences, so it shows as "differs".

**Each entry's result.**
- differs: |analytic − numeric| > ν + 1e−6·max(|analytic|, |numeric|) (the second term allows for
  the extrapolation's truncation error). Backprop is wrong there, however small the values.
- agrees: measurable, and does not differ.
- too small: neither. NOT counted as agreement: 0 = 0, or two values lost in rounding, says
  nothing about backprop.
- kink: a hidden activation's slope jumps between the points J was evaluated at (relu's kink at 0
  lies within ±ε of some Z). The quotient then averages two slopes; not blamed on backprop and
  not counted.

**Which entries.** Choosing where |analytic| is largest trusts the thing under test: a backprop
that returns 0 would steer the check to entries where nothing can be measured. So, per array:
every entry of an array no larger than the budget; otherwise half the budget where |analytic|
is largest (ties broken at random: where a right backprop says the gradient is measurable, so a
scaled, sign-flipped or transposed gradient shows there) and half at random, unseen by backprop;
plus one random unit direction through all the array's entries, whose numeric derivative needs
no choice of entries at all, so a gradient missing or wrong anywhere in the array shows in it
(if it is above ν).
Mutants of every W and b (zeroed, ×1.01, sign-flipped, transposed) are caught this way on seeds
0–9, raw pixels included (tests/test_gradcheck.py).

**Verdict.** An array passes only when nothing differs and at least 3 checked entries (all of an
array with fewer) are measurable and agree. With fewer, backprop is not confirmed and the
array fails: that is what a zeroed gradient gets when nothing the check looked at is measurable,
and what a saturated layer gets (raw pixels push |Z1| to hundreds, σ′ ≈ 0, most of dW1 falls
below ν). Three, not one: a single entry can agree by coincidence (a transposed W2 agrees on its
diagonal).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .activations import Activation
from .network import Params, backward, costs, forward

Array = np.ndarray
U = float(np.finfo(np.float64).eps)  # 2.2e−16, the spacing of float64 numbers near 1
ROUNDING = 8.0  # each computed J lies within ROUNDING·u·max(1, |J|) of its exact value
MEASURABLE = 300.0  # measurable: |numeric| ≥ MEASURABLE·ν, so a 1 % error (≥ 3ν) shows
TOLERANCE = 1e-6  # relative allowance for Richardson's truncation error
ENOUGH = 3  # agreeing measurable entries an array needs (all of a smaller array)
KINK = 0.1  # a slope jump above this fraction of the peak slope within ±ε is a kink

Status = Literal["agrees", "differs", "too small", "kink"]


def noise_bound(J: float, eps: float) -> float:
    """ν = 3δ/ε with δ = ROUNDING·u·max(1, |J|): the most rounding can move the numeric gradient."""
    return 3 * ROUNDING * U * max(1.0, abs(J)) / eps


@dataclass(frozen=True)
class Check:
    """One comparison: entry ``index`` of array ``name`` (W2), or the random direction through all
    of it (``index`` None); backprop's and the differences' value, the noise bound ν, whether a
    kink lay within the step, and how the entry was chosen ("every", "largest", "random",
    "direction", or "given")."""

    name: str
    index: tuple[int, ...] | None
    analytic: float
    numeric: float
    noise: float = 0.0
    kink: bool = False
    chosen: str = "given"

    @property
    def entry(self) -> str:
        """``W1[3, 402]``, or ``W1·v`` for the random direction."""
        if self.index is None:
            return f"{self.name}·v"
        return f"{self.name}[{', '.join(map(str, self.index))}]"

    @property
    def rel_error(self) -> float:
        """|a − n| / max(|a|, |n|); 0 when both are exactly 0. Means something only when the
        values are above the noise (see :attr:`shown_error`)."""
        a, n = self.analytic, self.numeric
        scale = max(abs(a), abs(n))
        return abs(a - n) / scale if scale > 0 else 0.0

    @property
    def status(self) -> Status:
        """agrees, differs, too small (to measure) or kink: see the module docstring."""
        a, n = self.analytic, self.numeric
        if not math.isfinite(a):
            return "differs"
        if self.kink:
            return "kink"
        if not math.isfinite(n) or abs(a - n) > self.noise + TOLERANCE * max(abs(a), abs(n)):
            return "differs"
        return "agrees" if abs(n) >= MEASURABLE * self.noise else "too small"

    @property
    def ok(self) -> bool:
        """Not contradicted: anything but "differs" (which does not make it confirmed)."""
        return self.status != "differs"

    @property
    def shown_error(self) -> str:
        """The relative error as a learner should read it: a number, or "both below noise"."""
        if max(abs(self.analytic), abs(self.numeric)) <= self.noise:
            return "both below noise"
        return f"{self.rel_error:.1e}"


@dataclass(frozen=True)
class ArrayCheck:
    """One array's verdict: its checked ``entries``, the random ``direction`` (None when every
    entry was checked), the noise bound, how many of all its entries backprop puts at a
    measurable size, and ``cause``: why gradients may be small here (saturation), or ""."""

    name: str
    shape: tuple[int, ...]
    entries: tuple[Check, ...]
    direction: Check | None
    noise: float
    backprop_measurable: int
    cause: str = ""

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def count(self, status: Status) -> int:
        """Checked entries with this result (the direction not included)."""
        return sum(c.status == status for c in self.entries)

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every comparison made: the entries, then the direction."""
        return self.entries + ((self.direction,) if self.direction is not None else ())

    @property
    def needed(self) -> int:
        """Agreeing measurable entries required to pass."""
        return min(ENOUGH, self.size)

    @property
    def differs(self) -> bool:
        return any(c.status == "differs" for c in self.checks)

    @property
    def passed(self) -> bool:
        """Nothing differs and enough entries were measured and agree."""
        return not self.differs and self.count("agrees") >= self.needed

    @property
    def verdict(self) -> Literal["ok", "differs", "unverified"]:
        return "differs" if self.differs else "ok" if self.passed else "unverified"

    def explain(self) -> str:
        """The verdict in a sentence a learner can follow."""
        n, agree, kinks = len(self.entries), self.count("agrees"), self.count("kink")
        checked = f"{n} checked entries{self._how_chosen()}"
        if self.differs:
            worst = max(
                (c for c in self.checks if c.status == "differs"),
                key=lambda c: abs(c.analytic - c.numeric),
            )
            where = [f"at {self.count('differs')} of {checked}"] if self.count("differs") else []
            if self.direction is not None and self.direction.status == "differs":
                where.append(f"along a random direction through all {self.size:,} entries")
            return (
                f"{self.name}: backprop is wrong: it disagrees with central differences "
                f"{' and '.join(where)}; e.g. {worst.entry}: backprop {worst.analytic:+.4e}, "
                f"differences {worst.numeric:+.4e} (±{worst.noise:.1e})"
            )
        kinked = f"; {kinks} at an activation's kink, not counted" if kinks else ""
        if self.passed:
            line = f"{self.name}: {agree} of {checked} measurable, all agree"
            if self.count("too small"):
                line += f"; {self.count('too small')} too small to measure, not counted"
            if self.direction is not None and self.direction.status == "agrees":
                line += f"; a random direction through all {self.size:,} entries agrees"
            return line + kinked
        return (
            f"{self.name}: not confirmed: only {agree} of {checked} "
            f"{'is' if agree == 1 else 'are'} large enough to measure (≥ "
            f"{MEASURABLE * self.noise:.1e}, {MEASURABLE:g}× the noise), {self.needed} needed; "
            f"backprop puts {self.backprop_measurable:,} of all {self.size:,} that large{kinked}"
            + (f". {self.cause}" if self.cause else "")
        )

    def _how_chosen(self) -> str:
        """`` (10 where backprop's gradient is largest, 10 at random)``, or "" for every entry."""
        largest = sum(c.chosen == "largest" for c in self.entries)
        chance = sum(c.chosen == "random" for c in self.entries)
        if not largest and not chance:
            return ""
        return f" ({largest} where backprop's gradient is largest, {chance} at random)"


def mean_cost(params: Params, X: Array, labels: Array, hidden: Activation) -> float:
    """J = mean cross-entropy of the columns of ``X``."""
    return float(costs(forward(params, X, hidden)[f"Z{len(params.W)}"], labels).mean())


def as_float64(params: Params, X: Array) -> tuple[Params, Array]:
    """Parameters and inputs in float64: in float32 the differences of costs drown in rounding."""
    p64 = Params.from_named({k: v.astype(np.float64) for k, v in params.named().items()})
    return p64, np.asarray(X, dtype=np.float64)


def derivative(
    params: Params, X: Array, labels: Array, hidden: Activation, name: str, v, eps: float
) -> tuple[float, bool]:
    """The numeric derivative of J along ``v`` in array ``name`` (an index tuple for one entry,
    or an array shaped like it), and whether a hidden activation's slope jumps within ±ε."""
    named, L = params.named(), len(params.W)
    values, slopes = {}, []
    for h in (eps, -eps, eps / 2, -eps / 2):
        arrays = dict(named)
        moved = np.array(named[name])
        if isinstance(v, tuple):
            moved[v] += h
        else:
            moved += h * v
        arrays[name] = moved
        cache = forward(_params(arrays, L), X, hidden)
        values[h] = float(costs(cache[f"Z{L}"], labels).mean())
        slopes.append([hidden.slope(cache[f"A{l}"]) for l in range(1, L)])

    def D(h: float) -> float:
        return (values[h] - values[-h]) / (2 * h)

    kink = any(
        np.ptp(np.stack([s[k] for s in slopes]), axis=0).max() > KINK * hidden.peak_slope
        for k in range(L - 1)
    )
    return (4 * D(eps / 2) - D(eps)) / 3, bool(kink)


def _params(arrays: dict[str, Array], L: int) -> Params:
    """Params over these arrays without copying them (they are private to one evaluation)."""
    return Params(
        tuple(arrays[f"W{l}"] for l in range(1, L + 1)),
        tuple(arrays[f"b{l}"] for l in range(1, L + 1)),
    )


def gradient_check(
    params: Params,
    X: Array,
    labels: Array,
    hidden: Activation,
    entries: Iterable[tuple[str, tuple[int, ...]]] | None = None,
    eps: float = 1e-5,
) -> Iterator[Check]:
    """Yield a :class:`Check` for each (name, index) in ``entries`` (default: every entry).

    ``X`` is (784, m) and ``labels`` (m,), both used in float64.
    """
    params, X = as_float64(params, X)
    m = X.shape[1]
    grads = backward(params, forward(params, X, hidden), labels, hidden)
    noise = noise_bound(mean_cost(params, X, labels, hidden), eps)
    named = params.named()
    if entries is None:
        entries = ((n, ix) for n, a in named.items() for ix in np.ndindex(a.shape))
    for name, index in entries:
        index = tuple(int(i) for i in index)
        numeric, kink = derivative(params, X, labels, hidden, name, index, eps)
        analytic = float(grads["d" + name][index]) / m
        yield Check(name, index, analytic, numeric, noise, kink)


def choose_entries(
    analytic: Array, budget: int, rng: np.random.Generator, every_up_to: int | None = None
) -> list[tuple[tuple[int, ...], str]]:
    """(index, how chosen) for one array: every entry when it has at most ``every_up_to``
    (default ``budget``) entries; else ⌈budget/2⌉ where |analytic| is largest (ties in random
    order, so a constant gradient steers nothing) and the rest at random among the others."""
    size = analytic.size
    if size <= (budget if every_up_to is None else every_up_to):
        return [(tuple(int(i) for i in ix), "every") for ix in np.ndindex(analytic.shape)]
    budget = min(budget, size)
    shuffled = rng.permutation(size)
    by_size = shuffled[np.argsort(-np.abs(analytic.ravel()[shuffled]), kind="stable")]
    top = by_size[: budget - budget // 2]
    rest = rng.choice(by_size[len(top) :], size=budget // 2, replace=False)
    flat = [(f, "largest") for f in top] + [(f, "random") for f in rest]
    return [(tuple(int(i) for i in np.unravel_index(f, analytic.shape)), how) for f, how in flat]


def check_arrays(
    params: Params,
    X: Array,
    labels: Array,
    hidden: Activation,
    rng: np.random.Generator,
    names: Sequence[str] | None = None,
    budget: int = 20,
    eps: float = 1e-5,
    every_up_to: int | None = None,
) -> list[ArrayCheck]:
    """Check arrays ``names`` (default: every W and b) against central differences, choosing
    entries as the module docstring says: an :class:`ArrayCheck` each.

    ``X`` is (784, m) and ``labels`` (m,); ``budget`` entries per array (every entry of an array
    of at most ``every_up_to``, default ``budget``), plus a random direction when not every entry
    is checked.
    """
    params, X = as_float64(params, X)
    m, L = X.shape[1], len(params.W)
    cache = forward(params, X, hidden)
    grads = backward(params, cache, labels, hidden)
    noise = noise_bound(float(costs(cache[f"Z{L}"], labels).mean()), eps)
    out = []
    for name in names or list(params.named()):
        analytic = np.asarray(grads["d" + name], dtype=np.float64) / m
        entries = []
        for index, how in choose_entries(analytic, budget, rng, every_up_to):
            numeric, kink = derivative(params, X, labels, hidden, name, index, eps)
            entries.append(Check(name, index, float(analytic[index]), numeric, noise, kink, how))
        direction = None
        if len(entries) < analytic.size:
            v = rng.standard_normal(analytic.shape)
            v /= np.linalg.norm(v)
            numeric, kink = derivative(params, X, labels, hidden, name, v, eps)
            a = float(np.sum(analytic * v))
            direction = Check(name, None, a, numeric, noise, kink, "direction")
        layer = int(name[1:])
        measurable = int(np.count_nonzero(np.abs(analytic) >= MEASURABLE * noise))
        out.append(ArrayCheck(
            name, analytic.shape, tuple(entries), direction, noise, measurable,
            _cause(cache, hidden, layer, L, X),
        ))  # fmt: skip
    return out


def _cause(cache: dict[str, Array], hidden: Activation, layer: int, L: int, X: Array) -> str:
    """Why layer ``layer``'s gradients may be small: its neurons' saturation, if most are."""
    if layer == L:
        return ""
    saturated = float(hidden.saturated(cache[f"A{layer}"]).mean())
    if saturated < 0.5:
        return ""
    why = (
        f"Layer {layer} is saturated ({hidden.saturation_label}) for {100 * saturated:.0f} % "
        f"of (neuron, example) pairs: little gradient gets through"
    )
    if layer == 1 and float(np.abs(X).max()) > 1:
        why += f" (inputs up to {float(np.abs(X).max()):g} make |Z1| large)"
    return why


def sample_entries(
    params: Params, per_array: int, rng: np.random.Generator
) -> list[tuple[str, tuple[int, ...]]]:
    """Up to ``per_array`` random entries of each W and b, for checking a large network quickly."""
    out = []
    for name, a in params.named().items():
        flat = rng.choice(a.size, size=min(per_array, a.size), replace=False)
        out += [(name, tuple(int(i) for i in np.unravel_index(f, a.shape))) for f in flat]
    return out
