"""Accuracy of the presets on the seed split of MNIST, several seeds: the README's figures.

    python benchmarks/reproduce.py [--mnist ../shared/data/mnist] [--seeds 0 1 2] [--epochs 500]

Writes benchmarks/ACCURACY.md. About 20 s per run on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from netviz.core.presets import PRESETS
from netviz.run import RunSpec, prepare
from netviz.training import Trainer

HERE = Path(__file__).parent
RECIPES = [
    ("seed", "seed preset (raw 0–255 pixels)", {}),
    ("seed", "seed preset with --scale (pixels / 255)", {"scale_pixels": True}),
    ("tuned", "tuned preset", {}),
]


def final_accuracies(spec: RunSpec) -> tuple[float, float, float]:
    """(train %, test %, seconds) after training ``spec`` from scratch."""
    run = prepare(spec)
    started = time.perf_counter()
    with Trainer(run.X, run.y, run.hidden, spec.preset.alpha) as trainer:
        params = run.params
        for result in trainer.run(params, spec.preset.epochs):
            params = result.params
        train = trainer.accuracy(params, run.X, run.y)
        test = trainer.accuracy(params, run.X_test, run.y_test)
    return 100 * train, 100 * test, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=500)
    args = ap.parse_args()
    rows = []
    for preset, label, changes in RECIPES:
        recipe = PRESETS[preset].with_(epochs=args.epochs, **changes)
        results = []
        for seed in args.seeds:
            train, test, secs = final_accuracies(RunSpec(recipe, args.mnist, seed=seed))
            print(f"{label}, seed {seed}: train {train:.2f} %, test {test:.2f} % ({secs:.1f} s)")
            results.append((seed, train, test))
        tests = np.array([r[2] for r in results])
        per_seed = "; ".join(f"{s}: {a:.2f} / {b:.2f}" for s, a, b in results)
        rows.append(
            f"| {label} | α {recipe.alpha:g}, init {recipe.init} | {per_seed} | "
            f"{tests.min():.2f}–{tests.max():.2f} |"
        )
    table = "\n".join(
        [
            f"Seed split of `{Path(args.mnist).name}` (first 30,000 training images train, the "
            f"next 12,000 test), {args.epochs} full-batch epochs, float64.",
            "",
            "| recipe | settings | seed: train % / test % | test range |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    (HERE / "ACCURACY.md").write_text(
        "# Preset accuracy (benchmarks/reproduce.py)\n\n" + table + "\n"
    )
    print(table)


if __name__ == "__main__":
    main()
