"""``netviz gradcheck``: backprop against central differences, per W and b, with an honest verdict
(see :mod:`netviz.core.gradcheck` for what is measurable and why)."""

from __future__ import annotations

import math
import sys

import numpy as np

from ..core.gradcheck import MEASURABLE, ROUNDING, TOLERANCE, ArrayCheck, U, check_arrays
from ..core.network import Params
from ..training.run import Run, RunSpec, prepare

EXIT_FAILED = 1


def gradcheck(
    spec: RunSpec,
    examples: int,
    entries: int,
    eps: float,
    epochs: int | None = None,
    workers: int | None = None,
) -> int:
    """Print, per W and b, how many entries were checked, measurable, agreeing; 0 when every
    array passes, 1 when one differs or could not be confirmed. With ``epochs`` K > 0, train K
    full-batch epochs with the run's trainer first and check at the weights they leave."""
    run = prepare(spec)
    params, where = run.params, "at the initial weights"
    if epochs:
        params = _train(run, epochs, workers)
        if params is None:  # diverged: a run that started and failed, as netviz train's
            return EXIT_FAILED
        where = f"at the weights after {epochs} epoch{'s' if epochs != 1 else ''}"
    X, y = run.X[:, :examples], run.y[:examples]
    rng = np.random.default_rng(spec.seed)
    arrays = check_arrays(params, X, y, run.hidden, rng, budget=entries, eps=eps)
    noise = arrays[0].noise
    print(
        f"{spec.preset.name} preset, {spec.layout}, seed {spec.seed}: {where}; cost over "
        f"{X.shape[1]} examples, ε {eps:g}, float64"
    )
    print(
        f"noise bound ν = {noise:.1e}: each cost J is computed with a rounding error up to "
        f"{ROUNDING:g}·u·max(1, J) (u = {U:.1e}), and the difference quotient divides two of "
        f"them by 2ε, so a numeric gradient below ν is rounding, not signal. An entry is "
        f"measurable from {MEASURABLE:g}·ν = {MEASURABLE * noise:.1e} (where a 1 % error shows)."
    )
    _table(arrays)
    for a in arrays:
        print(f"  {'✓' if a.passed else '✗'} {a.explain()}")
    return _verdict(arrays)


def _train(run: Run, epochs: int, workers: int | None) -> Params | None:
    """The weights after ``epochs`` full-batch epochs, as ``netviz train`` would reach them;
    None, said on stderr, when training diverges."""
    from ..training.trainer import Trainer

    alpha = run.spec.preset.alpha
    print(
        f"training {epochs} full-batch epochs first (α {alpha:g}, {len(run.train):,} examples)…",
        file=sys.stderr,
    )
    params = run.params
    sizes = run.params.sizes
    with Trainer(
        run.X, run.y, run.hidden, alpha, workers=workers, stats=False, sizes=sizes
    ) as trainer:
        for result in trainer.run(params, epochs):
            params = result.params
            if not (math.isfinite(result.cost) and all(np.isfinite(a).all() for a in params.W)):
                print(
                    f"netviz: training diverged at epoch {result.epoch} (cost {result.cost}): "
                    f"there are no finite weights to check; try a smaller --lr than {alpha:g}",
                    file=sys.stderr,
                )
                return None
    return params


def _table(arrays: list[ArrayCheck]) -> None:
    print(
        f"{'array':<6} {'entries':>7} {'checked':>7} {'measurable':>10} {'agree':>5} "
        f"{'differ':>6} {'too small':>9} {'kink':>4}  verdict"
    )
    for a in arrays:
        measurable = a.count("agrees") + sum(
            c.status == "differs" and abs(c.numeric) >= MEASURABLE * c.noise for c in a.entries
        )
        verdict = {"ok": "ok", "differs": "MISMATCH", "unverified": "UNCONFIRMED"}[a.verdict]
        print(
            f"{a.name:<6} {a.size:>7,} {len(a.entries):>7} {measurable:>10} "
            f"{a.count('agrees'):>5} {a.count('differs'):>6} {a.count('too small'):>9} "
            f"{a.count('kink'):>4}  {verdict}"
        )


def _verdict(arrays: list[ArrayCheck]) -> int:
    """The closing lines and the exit status."""
    checks = [c for a in arrays for c in a.checks]
    bad = [c for c in checks if c.status == "differs"]
    for c in bad[:5]:
        print(
            f"  {c.entry}: backprop {c.analytic:+.6e}, differences {c.numeric:+.6e} "
            f"± {c.noise:.1e}, relative error {c.shown_error}"
        )
    if bad:
        print(
            f"{len(bad)} of {len(checks)} checks differ by more than {TOLERANCE:g} (relative) "
            f"plus the noise bound: backprop's gradient is wrong"
        )
    unconfirmed = [a.name for a in arrays if a.verdict == "unverified"]
    if unconfirmed:
        print(
            f"not confirmed: {', '.join(unconfirmed)} (too few entries large enough to measure; "
            f"more --examples, or --scale for raw pixels, give more)"
        )
    if bad or unconfirmed:
        return EXIT_FAILED
    agree = [c for a in arrays for c in a.entries if c.status == "agrees"]
    worst = max(c.rel_error for c in agree)
    small = sum(a.count("too small") for a in arrays)
    print(
        f"all {len(arrays)} arrays pass: {len(agree)} measurable entries agree with backprop "
        f"(worst relative error {worst:.1e})"
        + (f"; not counted: {small} too small to measure" if small else "")
    )
    return 0
