"""Time to a figure: ``netviz export heatmap FILE`` as a command, Python start-up included.

    python benchmarks/bench_export.py [--mnist ../shared/data/mnist] [--epochs 500]
                                      [--trace FILE.nvtrace] [--runs 7]

Writes the "bench_export" section of benchmarks/RESULTS.md. Goal: the heatmap command answers in
under 1 s on the trace of a 500-epoch seed run on MNIST. The trace is made first (about 20 s),
or reused with ``--trace`` when that file exists. Also reported: where the time goes (Python
and netviz start-up, ``import matplotlib``, reading the trace, drawing, writing the PNG), and
the other figures once each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import table, write_section

HERE = Path(__file__).parent

# Run in a fresh interpreter, so each import is as cold as it is for the command.
PHASES = """
import json, sys, time
t0 = time.perf_counter()
import netviz.commands.cli, netviz.commands.export
t1 = time.perf_counter()
import matplotlib.figure, matplotlib.backends.backend_agg
t2 = time.perf_counter()
from netviz.export.figures import save
from netviz.export.gather import heatmap_figure, shown_at
from netviz.trace import TraceReader
reader = TraceReader(sys.argv[1])
shown = shown_at(reader, what="grad")
t3 = time.perf_counter()
fig = heatmap_figure(reader, shown)
t4 = time.perf_counter()
save(fig, sys.argv[2])
t5 = time.perf_counter()
print(json.dumps({"netviz": t1 - t0, "matplotlib": t2 - t1, "read": t3 - t2,
                  "build": t4 - t3, "render": t5 - t4}))
"""


def make_trace(mnist: str, epochs: int, path: Path) -> None:
    """The seed preset on MNIST for ``epochs`` epochs, default recording, then example 0's pass."""
    from netviz.core.presets import PRESETS
    from netviz.core.steps import example_ops
    from netviz.training.recording import Recorder
    from netviz.training.run import RunSpec, prepare
    from netviz.training.trainer import Trainer

    run = prepare(RunSpec(PRESETS["seed"].with_(epochs=epochs), mnist))
    alpha = run.spec.preset.alpha
    start = time.perf_counter()
    with (
        Recorder(path, run) as recorder,
        Trainer(run.X, run.y, run.hidden, alpha, run.X_test, run.y_test) as trainer,
    ):
        for result in trainer.run(run.params, epochs):
            recorder.epoch(result, alpha)
        ops = example_ops(result.params, run.X[:, 0], int(run.y[0]), run.hidden, alpha)
        recorder.example_pass(epochs, 0, ops, run.train.images[0], int(run.y[0]))
    print(f"made {path} ({epochs} epochs) in {time.perf_counter() - start:.1f} s")


def wall(argv: list[str], runs: int) -> float:
    """Median wall seconds of a command (after one unmeasured warm-up run for the disk cache)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def phases(trace: Path, out: Path, runs: int) -> dict[str, float]:
    """Median seconds of each phase of a heatmap, each run in a fresh interpreter."""
    seen = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PHASES, str(trace), str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seen.append(json.loads(done.stdout))
    return {k: statistics.median(s[k] for s in seen) for k in seen[0]}


def heatmap_rows(trace: Path, tmp: Path, runs: int, last: int, row) -> None:
    """The heatmap command's wall time, and where it goes."""
    netviz = [sys.executable, "-m", "netviz"]
    command = wall([*netviz, "export", "heatmap", str(trace), "-o", str(tmp / "h.png")], runs)
    bare = wall([sys.executable, "-c", "pass"], runs)
    mpl = "import os, matplotlib.figure, matplotlib.backends.backend_agg"
    with_exit = wall([sys.executable, "-c", mpl], runs)
    without_exit = wall([sys.executable, "-c", f"{mpl}; os._exit(0)"], runs)
    parts = phases(trace, tmp / "p.png", runs)
    row(f"`netviz export heatmap FILE` (layer-1 ΣdW1/m of epoch {last}), wall",
        f"{1000 * command:.0f} ms", f"median of {runs}; goal < 1 s")  # fmt: skip
    row("… of which Python start-up (`python -c pass`)", f"{1000 * bare:.0f} ms")
    share = 100 * parts["matplotlib"] / command
    row("… `import matplotlib` (Figure, Agg), cold", f"{1000 * parts['matplotlib']:.0f} ms",
        f"{share:.0f} % of the command")  # fmt: skip
    for key, what in [
        ("netviz", "import netviz's CLI and export modules (numpy, sqlite3)"),
        ("read", "open the trace, read ΣdW1 and m"),
        ("build", "build the figure (16 tile axes, colorbar, titles)"),
        ("render", "render it with Agg and write the PNG"),
    ]:
        row(f"… {what}", f"{1000 * parts[key]:.0f} ms")
    rest, teardown = command - bare - sum(parts.values()), with_exit - without_exit
    row("… the rest: `-m`, argparse, interpreter exit", f"{1000 * rest:.0f} ms",
        f"exit with matplotlib loaded: {1000 * teardown:.0f} ms")  # fmt: skip
    alone = with_exit - bare
    row("`import matplotlib` as a command of its own, less Python start-up",
        f"{1000 * alone:.0f} ms", f"{100 * alone / command:.0f} % of the heatmap command; "
        "numpy and teardown included")  # fmt: skip


def other_rows(trace: Path, tmp: Path, last: int, row) -> None:
    """The other figures' commands, once each (median of 3; the animation once)."""
    netviz = [sys.executable, "-m", "netviz", "export"]
    others = [
        (["heatmap", "--what", "weight"], "W1 after the last epoch (its checkpoint)"),
        (["heatmap", "--layer", "2"], "a 16×16 matrix"),
        (["card", "--at", f"e{last}/x0/bwd/L1/dW"], "three panels of 16 tiles, a digit"),
        (["curves"], "imports pandas too"),
    ]
    for argv, note in others:
        out = ["-o", str(tmp / f"{argv[0]}.png")]
        seconds = wall([*netviz, argv[0], str(trace), *argv[1:], *out], 3)
        row(f"`netviz export {' '.join(argv)}`, wall", f"{1000 * seconds:.0f} ms", note)
    frames = min(50, last)
    gif = ["-o", str(tmp / "a.gif"), "--epochs", f"{last - frames + 1}:{last}"]
    seconds = wall([*netviz, "animation", str(trace), "--what", "weight", *gif], 1)
    row(f"`netviz export animation --what weight`, {frames} frames, wall", f"{seconds:.1f} s",
        f"{1000 * seconds / frames:.0f} ms a frame, start-up included")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--trace", help="reuse this trace if it exists (else make it here)")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    rows = []

    def row(what, value, note=""):
        rows.append((what, value, note))
        print(f"{what:<66} {value:>9}  {note}")

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        trace = Path(args.trace) if args.trace else tmp / "seed.nvtrace"
        if not trace.exists():
            make_trace(args.mnist, args.epochs, trace)
        from netviz.trace import TraceReader

        with TraceReader(trace) as reader:
            last = reader.epochs()[-1]
        heatmap_rows(trace, tmp, args.runs, last, row)
        other_rows(trace, tmp, last, row)

    write_section(
        "bench_export",
        "## Export (bench_export.py)\n\n"
        f"A trace of the seed preset on the seed split of MNIST, {last} full-batch epochs, "
        "default recording, then example 0's pass. Each command runs in a fresh process, so "
        "Python start-up and every import are counted. A heatmap reads one epoch step and one "
        "metrics row whatever the length of the run (the weights: the last epoch's checkpoint), "
        "so its time does not grow with the run.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
