"""Cost of trace files on the seed split of MNIST: recording overhead, size, read latency.

    python benchmarks/bench_trace.py [--mnist ../shared/data/mnist] [--epochs 500]

Writes the "bench_trace" section of benchmarks/RESULTS.md. Goals (DESIGN.md §4): recording at
the default level costs ≤ 10 % of the training time of the same run without a trace; the
500-epoch trace is ≤ 64 MB; opening a trace and reading any one step takes < 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from results_file import table, write_section

from netviz.core.presets import PRESETS
from netviz.core.steps import example_ops
from netviz.trace import TraceReader
from netviz.training.recording import Recorder
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

HERE = Path(__file__).parent


def train_seconds(run, epochs: int, trace: Path | None) -> float:
    """Wall time of ``epochs`` epochs, recording to ``trace`` (default level) or not."""
    alpha = run.spec.preset.alpha
    with Trainer(run.X, run.y, run.hidden, alpha, run.X_test, run.y_test) as trainer:
        start = time.perf_counter()
        if trace is None:
            for _ in trainer.run(run.params, epochs):
                pass
        else:
            with Recorder(trace, run) as recorder:
                for result in trainer.run(run.params, epochs):
                    recorder.epoch(result, alpha)
                params = result.params
                for i in range(10):  # a learner's walkthrough of ten examples
                    ops = example_ops(params, run.X[:, i], int(run.y[i]), run.hidden, alpha)
                    recorder.example_pass(epochs, i, ops, run.train.images[i], int(run.y[i]))
        return time.perf_counter() - start


def read_latencies(path: Path, steps: list[int]) -> list[float]:
    """Seconds to open the trace and read one step's tensors, for each step (a fresh open)."""
    out = []
    for step in steps:
        start = time.perf_counter()
        with TraceReader(path) as t:
            t.tensors(step)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--epochs", type=int, default=500)
    args = ap.parse_args()
    run = prepare(RunSpec(PRESETS["seed"], args.mnist))
    rows = []

    def row(what, value, note=""):
        rows.append((what, value, note))
        print(f"{what:<62} {value:>12}  {note}")

    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "seed.nvtrace"
        # plain, traced, plain: the plain figure is the mean of the runs either side
        plain_a = train_seconds(run, args.epochs, None)
        traced = train_seconds(run, args.epochs, trace)
        plain_b = train_seconds(run, args.epochs, None)
        plain = (plain_a + plain_b) / 2
        row(f"{args.epochs} epochs without a trace (mean of 2 runs)", f"{plain:.1f} s")
        row(f"{args.epochs} epochs recording the default trace", f"{traced:.1f} s")
        row("recording overhead", f"{100 * (traced / plain - 1):.1f} %", "goal ≤ 10 %")
        size = trace.stat().st_size
        row("trace size (default level, + 10 example walkthroughs)", f"{size / 1e6:.1f} MB",
            "goal ≤ 64 MB")  # fmt: skip

        with TraceReader(trace) as t:
            all_steps = [s.step for s in t.steps()]
            last_epoch = t.epochs()[-1]
        rng = np.random.default_rng(0)
        picks = [int(s) for s in rng.choice(all_steps, size=200)]
        lat = read_latencies(trace, picks)
        median, worst = 1000 * statistics.median(lat), 1000 * max(lat)
        what = "open the trace + read one random step (200 steps)"
        row(what, f"{median:.1f} ms", f"max {worst:.1f} ms; goal < 20 ms")
        start = time.perf_counter()
        with TraceReader(trace) as t:
            t.weights(last_epoch - 1)  # the farthest from a checkpoint: 9 updates replayed
        row("open + rebuild the weights of a non-checkpoint epoch",
            f"{1000 * (time.perf_counter() - start):.1f} ms")  # fmt: skip

    write_section(
        "bench_trace",
        "## Trace files (bench_trace.py)\n\n"
        f"Seed preset on the seed split of MNIST, {args.epochs} full-batch epochs, float64, "
        "default recording: metrics, ΣdW and Σdb, activation statistics, 8 watched examples, "
        "checkpoints every 10 epochs.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
