"""Opening a 500-epoch trace in replay and jumping to its last epoch.

    python benchmarks/bench_replay.py [--epochs 500]

Goal (issue 6): under 0.5 s. The trace is a 500-epoch seed run recorded at the default level on
the shipped sample (what a trace holds per epoch, ΣdW and Σdb, does not depend on how many
examples were trained, so its size is the full-MNIST run's). Measured three ways, each from a
fresh open: the replay session alone (open, go to the last epoch, build its snapshot); the app
under Pilot (open, start Textual, click the scrubber's right end, until the screen shows the
last epoch); and, beside it, the live tour's own start under Pilot, so the share that is
Textual's start-up is visible.
Writes the "bench_replay" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from results_file import table, write_section

from netviz.core.presets import PRESETS
from netviz.core.steps import example_ops
from netviz.session.live import Session
from netviz.session.replay import Replay
from netviz.training.recording import Recorder
from netviz.training.run import RunSpec, prepare
from netviz.training.trainer import Trainer

SIZE = (120, 40)


def record(path: Path, epochs: int) -> None:
    """A seed run of ``epochs`` epochs on the sample, and a walkthrough of 10 examples."""
    run = prepare(RunSpec(PRESETS["seed"].with_(epochs=epochs)))
    alpha = run.spec.preset.alpha
    with Trainer(run.X, run.y, run.hidden, alpha) as trainer, Recorder(path, run) as recorder:
        for result in trainer.run(run.params, epochs):
            recorder.epoch(result, alpha)
        for i in range(10):
            ops = example_ops(result.params, run.X[:, i], int(run.y[i]), run.hidden, alpha)
            recorder.example_pass(epochs, i, ops, run.train.images[i], int(run.y[i]))


def session_seconds(path: Path, epochs: int) -> float:
    start = time.perf_counter()
    with Replay(path) as replay:
        snapshot = replay.goto(f"e{epochs}")
        assert snapshot.address == f"e{epochs}" and len(snapshot.metrics) == epochs
    return time.perf_counter() - start


async def app_seconds(path: Path, epochs: int) -> float:
    from textual.widgets import Static  # noqa: F401  (textual imported before the clock)

    from netviz.tui.app import create_app
    from netviz.tui.timeline import Scrubber, Where

    start = time.perf_counter()
    with Replay(path) as replay:
        app = create_app(replay)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.click(Scrubber, offset=(SIZE[0] - 3, 0))  # the bar's right end
            assert str(app.query_one(Where).render()).startswith(f"e{epochs} ")
            seconds = time.perf_counter() - start
    return seconds


async def tour_seconds() -> float:
    from netviz.tui.app import create_app
    from netviz.tui.timeline import Where

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with Session(RunSpec(PRESETS["seed"]), trace=Path(folder) / "t.nvtrace") as live:
            app = create_app(live)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.press("G")
                assert str(app.query_one(Where).render()).startswith("e0/")
                seconds = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed-500.nvtrace"
        record(path, args.epochs)
        size = path.stat().st_size / 1e6
        session = [session_seconds(path, args.epochs) for _ in range(args.repeats)]
        app = [asyncio.run(app_seconds(path, args.epochs)) for _ in range(args.repeats)]
        tour = [asyncio.run(tour_seconds()) for _ in range(args.repeats)]
    rows = [
        ("replay session: open, go to the last epoch, snapshot", session),
        ("replay app under Pilot: open, start, click the scrubber's end, painted", app),
        ("live tour under Pilot: start, G (reference)", tour),
    ]
    lines = [(name, f"{statistics.median(t) * 1e3:.0f} ms", f"median; max {max(t) * 1e3:.0f} ms")
             for name, t in rows]  # fmt: skip
    markdown = (
        f"## Replay: open a {args.epochs}-epoch trace, jump to its last epoch\n\n"
        f"Trace: seed preset, {args.epochs} epochs at the default level on the shipped sample, "
        f"10 example passes: {size:.1f} MB. {args.repeats} fresh opens each. Goal: < 0.5 s.\n\n"
        + table(lines)
        + f"\n\nThe app's time is Textual's start-up plus the replay's: "
        f"{statistics.median(app) / statistics.median(tour):.2f}× the live tour's start, "
        "which computes one example pass instead of reading the trace."
    )
    write_section("bench_replay", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
