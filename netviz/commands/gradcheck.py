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
    print(f"{spec.preset.name} preset, {spec.layout}, {X.shape[1]} examples, ε {eps:g}")
    print(f"{'array':<6} {'checked':>7} {'max rel error':>14} {'max |analytic|':>15}  verdict")
    for name in params.named():
        mine = [c for c in checks if c.name == name]
        worst = max(c.rel_error for c in mine)
        biggest = max(abs(c.analytic) for c in mine)
        verdict = "ok" if all(c.ok for c in mine) else "MISMATCH"
        print(f"{name:<6} {len(mine):>7} {worst:>14.2e} {biggest:>15.2e}  {verdict}")
    bad = [c for c in checks if not c.ok]
    if bad:
        print(f"{len(bad)} of {len(checks)} entries differ by more than {TOLERANCE:g} (relative)")
        return 1
    print(
        f"all {len(checks)} entries agree: relative error < {TOLERANCE:g}, or a difference "
        f"below the difference quotient's rounding noise ({checks[0].noise:.1e})"
    )
    return 0
