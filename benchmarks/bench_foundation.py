"""Speed of the foundation on the seed split of MNIST: ratios measured in one run.

    python benchmarks/bench_foundation.py [--mnist ../shared/data/mnist] [--quick]

Prints a table and writes benchmarks/RESULTS.md. Times are medians of repeated runs; every goal is
a ratio of two figures measured here, in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from netviz.core.network import backward, costs, forward, update
from netviz.core.presets import PRESETS
from netviz.core.walkthrough import walkthrough_epoch
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

HERE = Path(__file__).parent


def median_time(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def flops_per_epoch(sizes: tuple[int, ...], m: int) -> float:
    """Multiply-adds ×2 of one epoch: Z = W·A forward, dW = dZ·Aᵀ and dA = Wᵀ·dZ backward."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    forward_ = sum(a * b for a, b in pairs)
    backward_ = forward_ + sum(a * b for a, b in pairs[1:])  # no dA0 = dX
    return 2.0 * m * (forward_ + backward_)


def read_bandwidth(X: np.ndarray, workers: int, repeat: int) -> float:
    """Bytes per second at which ``workers`` threads can read X (summing their share of it)."""
    parts = np.array_split(np.arange(X.shape[1]), workers)
    blocks = [X[:, p[0] : p[-1] + 1] for p in parts]
    with ThreadPoolExecutor(workers) as pool:
        t = median_time(lambda: list(pool.map(np.sum, blocks)), repeat)
    return X.nbytes / t


def matmul_flops(dtype, repeat: int, n: int = 3000) -> float:
    """Peak-ish FLOP/s of this machine's BLAS: a large square product on all cores."""
    a = np.random.default_rng(0).random((n, n)).astype(dtype)
    return 2.0 * n**3 / median_time(lambda: a @ a, repeat)


def plain_epoch(run, params):
    """The plain vectorised epoch: one forward and backward over all m columns, no chunks."""
    cache = forward(params, run.X, run.hidden)
    grads = backward(params, cache, run.y, run.hidden)
    costs(cache["Z3"], run.y).mean()
    L = len(params.W)
    dW = [grads[f"dW{l}"] for l in range(1, L + 1)]
    db = [grads[f"db{l}"] for l in range(1, L + 1)]
    return update(params, dW, db, 0.8, run.X.shape[1])


def command_seconds(argv: list[str], repeat: int) -> float:
    def once():
        subprocess.run(argv, check=True, capture_output=True)

    return median_time(once, repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no 500-epoch run")
    args = ap.parse_args()
    repeat = 3 if args.quick else 9
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, note: str = "") -> None:
        rows.append((what, value, note))
        print(f"{what:<58} {value:>14}  {note}")

    seed = PRESETS["seed"]
    run64 = prepare(RunSpec(seed, args.mnist))
    run32 = prepare(RunSpec(seed.with_(dtype="float32"), args.mnist))
    m = run64.X.shape[1]
    flops = flops_per_epoch(seed.sizes, m)
    cores = os.cpu_count() or 1

    # The walkthrough's per-example loop, timed on a slice and scaled to m examples.
    n_loop = 1000 if args.quick else 3000
    loop_s = median_time(
        lambda: walkthrough_epoch(run64.params, run64.X[:, :n_loop], run64.y[:n_loop], 0.8), 3
    )
    loop_epoch = loop_s / n_loop * m
    row("walkthrough per-example loop, per example", f"{1e6 * loop_s / n_loop:.1f} µs")
    row(f"walkthrough loop, one epoch of {m:,} (scaled)", f"{1000 * loop_epoch:.0f} ms")

    plain = median_time(lambda: plain_epoch(run64, run64.params), repeat)
    row("plain vectorised epoch, float64 (one batch, no chunks)", f"{1000 * plain:.1f} ms")

    results = {}
    for name, run in (("float64", run64), ("float32", run32)):
        for workers in (1, cores):
            with Trainer(run.X, run.y, run.hidden, 0.8, workers=workers, stats=False) as trainer:
                t = median_time(
                    lambda trainer=trainer, run=run: trainer.epoch(run.params, 1), repeat
                )
            results[name, workers] = t
            row(f"netviz epoch, {name}, {workers} worker thread(s)", f"{1000 * t:.1f} ms")
    ours64, ours32 = results["float64", cores], results["float32", cores]
    with Trainer(run64.X, run64.y, run64.hidden, 0.8) as trainer:
        t = median_time(lambda: trainer.epoch(run64.params, 1), repeat)
    row("netviz epoch, float64, with activation statistics (when recording)", f"{1000 * t:.1f} ms")
    for chunk in (128, 256, 512, 1024, 4096):
        with Trainer(run64.X, run64.y, run64.hidden, 0.8, chunk=chunk, stats=False) as trainer:
            t = median_time(lambda trainer=trainer: trainer.epoch(run64.params, 1), repeat)
        row(
            f"netviz epoch, float64, {cores} workers, chunk of {chunk} columns",
            f"{1000 * t:.1f} ms",
        )

    floors = {}
    for name, run, dtype in (("float64", run64, np.float64), ("float32", run32, np.float32)):
        bw = read_bandwidth(run.X, cores, repeat)
        peak = matmul_flops(dtype, 3)
        read_s, flop_s = run.X.nbytes / bw, flops / peak
        floors[name] = max(read_s, flop_s)
        read_what = f"{name}: read X once ({run.X.nbytes / 1e6:.0f} MB at {bw / 1e9:.1f} GB/s)"
        row(read_what, f"{1000 * read_s:.1f} ms")
        flop_what = f"{name}: {flops / 1e9:.2f} GFLOP at {peak / 1e9:.0f} GFLOP/s (square matmul)"
        row(flop_what, f"{1000 * flop_s:.1f} ms")
        row(f"{name}: floor = the larger", f"{1000 * floors[name]:.1f} ms")

    row("speed-up over the per-example loop, float64", f"{loop_epoch / ours64:.0f}×", "goal ≥ 30×")
    row("netviz epoch ÷ floor, float64", f"{ours64 / floors['float64']:.2f}×", "aim 2.5×")
    row("netviz epoch ÷ floor, float32", f"{ours32 / floors['float32']:.2f}×")
    row("plain epoch ÷ floor, float64", f"{plain / floors['float64']:.2f}×")

    netviz = shutil.which("netviz") or f"{sys.executable} -m netviz"
    # netviz train's own epoch as a user gets it (its per-epoch test accuracy included): the
    # difference of a 60- and a 10-epoch run over 50, so start-up and data loading drop out.
    for what, trace in (("no trace", ["--no-trace"]), ("default recording", None)):
        per = {}
        for epochs in (10, 60):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "t.nvtrace"
                argv = [*netviz.split(), "train", "--data", args.mnist, "--epochs", str(epochs)]
                argv += trace or ["--trace", str(path)]

                def once(argv=argv, path=path) -> None:
                    path.unlink(missing_ok=True)  # each run writes a new trace
                    subprocess.run(argv, check=True, capture_output=True)

                per[epochs] = median_time(once, 1 if args.quick else 3)
        train_epoch = (per[60] - per[10]) / 50
        ratio = f"{train_epoch / plain:.2f}× plain; goal ≤ 0.85×"
        row(f"`netviz train` epoch, {what} (test accuracy included)",
            f"{1000 * train_epoch:.1f} ms", ratio)  # fmt: skip
    help_s = command_seconds([*netviz.split(), "--help"], 7)
    row("`netviz --help` start-up", f"{1000 * help_s:.0f} ms", "goal < 300 ms")
    if not args.quick:
        argv = [*netviz.split(), "train", "--data", args.mnist, "--epochs", "500", "--no-trace"]
        start = time.perf_counter()
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - start
        acc = " / ".join(re.findall(r"accuracy: ([\d.]+ %)", out))
        note = f"goal < 25 s; train / test {acc}"
        row("500-epoch seed run, command to final accuracy", f"{wall:.1f} s", note)
    write_results(rows, args)


def write_results(rows, args) -> None:
    import numpy
    from results_file import table, write_section

    blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    lines = [
        "## Foundation: the epoch, the floor, start-up (bench_foundation.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {numpy.__version__} with "
        f"{blas.get('name', '?')} {blas.get('version', '')}; seed split of MNIST "
        "(30,000 × 784 train). Medians of repeated runs; ratios come from the same run.",
        "",
        table(rows),
        "",
        "How to read these figures: below, after the generated sections.",
    ]
    if not args.quick:
        write_section("bench_foundation", "\n".join(lines))


if __name__ == "__main__":
    main()
