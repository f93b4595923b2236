"""Accuracy of the presets on the seed split of MNIST, several seeds: the README's figures.

    python benchmarks/reproduce.py [--mnist ../shared/data/mnist] [--seeds 0 1 2 3 4]
                                   [--epochs 500] [--kernels Haswell SkylakeX]

Writes benchmarks/ACCURACY.md: per recipe and seed the train and test accuracy at the final
weights (after the last epoch's update, as `netviz train` prints them), the spread over seeds,
the CPU and the OpenBLAS kernel they were measured with. With ``--kernels``, seed 0 of each
recipe is trained again under each named OpenBLAS kernel (``OPENBLAS_CORETYPE``, in a
subprocess): the same math with a different summation order, which is what another CPU gives.
About 20–30 s per run on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from results_file import cpu_name  # benchmarks/ is on the path when run as a script

from netviz.core.presets import PRESETS
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

HERE = Path(__file__).parent
RECIPES = [
    ("seed", "seed preset (raw 0–255 pixels)", {}),
    ("seed", "seed preset with --scale (pixels / 255)", {"scale_pixels": True}),
    ("tuned", "tuned preset", {}),
]


def final_accuracies(spec: RunSpec) -> tuple[float, float, float]:
    """(train %, test %, seconds) at the final weights after training ``spec`` from scratch."""
    run = prepare(spec)
    started = time.perf_counter()
    with Trainer(
        run.X, run.y, run.hidden, spec.preset.alpha, run.X_test, run.y_test, sizes=run.params.sizes
    ) as trainer:
        params = run.params
        for result in trainer.run(params, spec.preset.epochs):
            params = result.params
        final = trainer.measure(params, spec.preset.epochs)
    return 100 * final.train_accuracy, 100 * final.test_accuracy, time.perf_counter() - started


def recipe_spec(index: int, mnist: str, epochs: int, seed: int) -> RunSpec:
    preset, _, changes = RECIPES[index]
    return RunSpec(PRESETS[preset].with_(epochs=epochs, **changes), mnist, seed=seed)


def blas_kernel() -> str:
    """The BLAS library and the kernel it runs (OpenBLAS's architecture), via threadpoolctl."""
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            return f"{lib['internal_api']} {lib.get('version', '')} {lib.get('architecture', '')}"
    return "unknown BLAS"


def one_run_elsewhere(kernel: str, index: int, args: argparse.Namespace) -> dict:
    """Train recipe ``index``, seed 0, in a subprocess under OpenBLAS kernel ``kernel``."""
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [sys.executable, __file__, "--one", str(index), "--mnist", args.mnist]
    cmd += ["--epochs", str(args.epochs)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--kernels", nargs="*", default=[], help="OpenBLAS kernels to rerun seed 0")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a subprocess of --kernels
    args = ap.parse_args()
    if args.one is not None:
        train, test, _ = final_accuracies(recipe_spec(args.one, args.mnist, args.epochs, 0))
        print(json.dumps({"kernel": blas_kernel(), "train": train, "test": test}))
        return
    rows, kernel_rows = [], []
    for index, (_, label, _) in enumerate(RECIPES):
        results = []
        for seed in args.seeds:
            train, test, secs = final_accuracies(recipe_spec(index, args.mnist, args.epochs, seed))
            print(f"{label}, seed {seed}: train {train:.2f} %, test {test:.2f} % ({secs:.1f} s)")
            results.append((seed, train, test))
        trains, tests = np.array([r[1] for r in results]), np.array([r[2] for r in results])
        per_seed = "; ".join(f"{s}: {a:.2f} / {b:.2f}" for s, a, b in results)
        spec = recipe_spec(index, args.mnist, args.epochs, 0).preset
        rows.append(
            f"| {label} | α {spec.alpha:g}, init {spec.init} | {per_seed} | "
            f"{trains.mean():.2f} ± {trains.std(ddof=1):.2f} | "
            f"{tests.mean():.2f} ± {tests.std(ddof=1):.2f} ({tests.min():.2f}–{tests.max():.2f}) |"
        )
        for kernel in args.kernels:
            r = one_run_elsewhere(kernel, index, args)
            print(
                f"{label}, seed 0, {r['kernel']}: train {r['train']:.2f} %, test {r['test']:.2f} %"
            )
            kernel_rows.append(f"| {label} | {r['kernel']} | {r['train']:.2f} | {r['test']:.2f} |")
    lines = [
        f"Seed split of `{Path(args.mnist).name}` (first 30,000 training images train, the "
        f"next 12,000 test), {args.epochs} full-batch epochs, float64; accuracy at the final "
        "weights (after the last update), as `netviz train` prints it.",
        f"Measured on: {cpu_name()}, {os.cpu_count()} cores, {blas_kernel()}.",
        "",
        "| recipe | settings | seed: train % / test % | train mean ± sd | test mean ± sd (range) |",
        "|---|---|---|---|---|",
        *rows,
    ]
    if kernel_rows:
        lines += [
            "",
            "Seed 0 again on the same CPU under other OpenBLAS kernels (`OPENBLAS_CORETYPE`): the",
            "same arithmetic summed in another order, as on another CPU.",
            "",
            "| recipe | BLAS kernel | train % | test % |",
            "|---|---|---|---|",
            *kernel_rows,
        ]
    table = "\n".join(lines)
    (HERE / "ACCURACY.md").write_text(
        "# Preset accuracy (benchmarks/reproduce.py)\n\n" + table + "\n"
    )
    print(table)


if __name__ == "__main__":
    main()
