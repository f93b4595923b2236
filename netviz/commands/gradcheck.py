"""``netviz gradcheck``: backprop against central differences on a few examples, as a table."""

from __future__ import annotations

import numpy as np

from ..core.gradcheck import TOLERANCE, gradient_check, sample_entries
from ..run import RunSpec, prepare


def gradcheck(spec: RunSpec, examples: int, entries: int, eps: float) -> int:
    """Print, per W and b, how many entries agree; 0 when all do, 1 when any does not."""
    from ..core.network import Params

    run = prepare(spec)
    # Differences of costs need float64 whatever the run trains in.
    params = Params.from_named({k: v.astype(np.float64) for k, v in run.params.named().items()})
    X, y = run.X[:, :examples].astype(np.float64), run.y[:examples]
    rng = np.random.default_rng(spec.seed)
    checks = list(
        gradient_check(params, X, y, run.hidden, sample_entries(params, entries, rng), eps)
    )
    print(
        f"{spec.preset.name} preset, {spec.layout}, {X.shape[1]} examples, ε {eps:g}, "
        f"checked in float64; noise bound {checks[0].noise:.1e}"
    )
    print(
        f"{'array':<6} {'checked':>7} {'agree':>6} {'in noise':>8} {'worst agreeing':>15}  verdict"
    )
    for name in params.named():
        mine = [c for c in checks if c.name == name]
        agree = [c for c in mine if c.rel_error < TOLERANCE]
        in_noise = [c for c in mine if c.ok and c.rel_error >= TOLERANCE]
        worst = max((c.rel_error for c in agree), default=float("nan"))
        verdict = "ok" if len(agree) + len(in_noise) == len(mine) else "MISMATCH"
        print(
            f"{name:<6} {len(mine):>7} {len(agree):>6} {len(in_noise):>8} {worst:>15.1e}  {verdict}"
        )
    bad = [c for c in checks if not c.ok]
    for c in bad[:5]:
        print(
            f"  {c.name}{list(c.index)}: analytic {c.analytic:.6e}, numeric {c.numeric:.6e}, "
            f"relative error {c.rel_error:.1e}"
        )
    if bad:
        print(f"{len(bad)} of {len(checks)} entries differ by more than {TOLERANCE:g} (relative)")
        return 1
    print(
        f'all {len(checks)} entries agree: relative error < {TOLERANCE:g}, or ("in noise") a '
        f"gradient too small for differences to measure, within {checks[0].noise:.1e}"
    )
    return 0
