"""Responsiveness of the terminal UI, measured with Textual's Pilot at 120×40.

    python benchmarks/bench_tui.py [--mnist ../shared/data/mnist]

Writes the "bench_tui" section of benchmarks/RESULTS.md. Goals: a step key to the repainted
screen, median under 30 ms; an epoch run from the UI at most 1.2× the headless epoch time of the
same configuration (the seed preset on the seed split of MNIST).
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
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import create_app

HERE = Path(__file__).parent
STEP_KEYS = ["s"] * 20 + ["S"] * 20 + ["n", "N", "r", "R", "right", "left"] * 5


async def step_costs(session: Session) -> tuple[list[float], list[float]]:
    """CPU seconds from each stepping key to its repainted screen, and for a key bound to
    nothing. Pilot's press() and pause() also wait for idle (~60 ms of wall time per key even
    for a no-op key), so CPU time, not wall time, is what a key costs the learner."""
    app = create_app(session)
    steps, noops = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in STEP_KEYS:
            for bucket, k in ((steps, key), (noops, "z")):
                start = time.process_time()
                await pilot.press(k)
                await pilot.pause()
                bucket.append(time.process_time() - start)
    return steps, noops


async def ui_epochs(session: Session, epochs: int) -> float:
    """Seconds per epoch of a run of ``epochs`` started from the UI (the palette's "Run N
    epochs": one worker, the screen repainting as epochs land)."""
    app = create_app(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.run_epochs(epochs)
        await app.workers.wait_for_complete()
        elapsed = time.perf_counter() - start
        await pilot.pause()
        assert session.snapshot().epoch == epochs
        return elapsed / epochs


def headless_epochs(session: Session, epochs: int) -> float:
    start = time.perf_counter()
    for _ in range(epochs):
        session.run_epoch()
    return (time.perf_counter() - start) / epochs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    rows = []

    def row(what, value, note=""):
        rows.append((what, value, note))
        print(f"{what:<60} {value:>10}  {note}")

    with tempfile.TemporaryDirectory() as tmp:
        spec = RunSpec(PRESETS["seed"], args.mnist)
        with Session(spec, trace=Path(tmp) / "steps.nvtrace") as session:
            steps, noops = asyncio.run(step_costs(session))
        median, p90 = 1000 * statistics.median(steps), 1000 * statistics.quantiles(steps, n=10)[-1]
        row("step key → repainted screen, 120×40: CPU (median)", f"{median:.1f} ms",
            f"90th percentile {p90:.1f} ms; goal < 30 ms")  # fmt: skip
        row("a key bound to nothing, same measure (Pilot's own cost)",
            f"{1000 * statistics.median(noops):.1f} ms")  # fmt: skip
        with Session(spec, trace=Path(tmp) / "headless.nvtrace") as session:
            headless = headless_epochs(session, args.epochs)
        with Session(spec, trace=Path(tmp) / "ui.nvtrace") as session:
            ui = asyncio.run(ui_epochs(session, args.epochs))
        row("epoch, headless session (seed split of MNIST)", f"{1000 * headless:.1f} ms")
        row(f"epoch, from the UI (a run of {args.epochs} in the worker)", f"{1000 * ui:.1f} ms")
        row("UI ÷ headless", f"{ui / headless:.2f}×", "goal ≤ 1.2×")
    write_section(
        "bench_tui",
        "## Terminal UI (bench_tui.py)\n\nPilot at 120×40; both epoch figures record the "
        "default trace, as the tour does.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
