"""Size of the shared walkthrough page: ``netviz export html`` of the shipped example trace
and of a full 500-epoch run.

    python benchmarks/bench_share.py [--epochs 500] [--trace FILE.nvtrace]

Writes the "bench_share" section of benchmarks/RESULTS.md. Goals (issue 16): the example
trace's page under 3 MB; a 500-epoch trace's page under 8 MB (it chooses what to include and
says so). The 500-epoch trace is the seed preset on the shipped sample (3,000 training rows),
made first (about a minute on 2 cores) or reused with ``--trace``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import cpu_name, table, write_section

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "traces" / "example.nvtrace"
GOALS = {"example": 3e6, "full": 8e6}  # bytes


def netviz(*argv: str) -> str:
    """Run ``netviz ARGV`` as a user does; its standard output."""
    done = subprocess.run([sys.executable, "-m", "netviz", *argv], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"netviz {' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def page(trace: Path, out: Path) -> tuple[int, float, str]:
    """(bytes, seconds, what the exporter says it left out) of the page of ``trace``."""
    start = time.perf_counter()
    said = netviz("export", "html", str(trace), "-o", str(out))
    seconds = time.perf_counter() - start
    left = " ".join(line.strip() for line in said.splitlines() if line.startswith("epochs:"))
    return out.stat().st_size, seconds, left


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--trace", help="reuse this 500-epoch trace if it exists (else make it)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        full = Path(args.trace) if args.trace else tmp / "full.nvtrace"
        if not full.exists():
            netviz("train", "--epochs", str(args.epochs), "--train-size", "3000",
                   "--trace", str(full))  # fmt: skip
        for name, trace in (("example", EXAMPLE), ("full", full)):
            size, seconds, left = page(trace, tmp / f"{name}.html")
            goal = GOALS[name]
            what = "traces/example.nvtrace" if name == "example" else f"{args.epochs} epochs"
            note = f"{'✓' if size < goal else '✗'} goal < {goal / 1e6:g} MB; in {seconds:.1f} s"
            rows.append((f"page of {what}", f"{size / 1e6:.2f} MB", note))
            print(f"{what:<28} {size / 1e6:6.2f} MB  {seconds:5.1f} s  {left}")
    write_section(
        "bench_share",
        "## The shared page (bench_share.py)\n\n"
        f"Measured on {cpu_name()}: `netviz export html` as a user runs it (a fresh process). "
        f"The {args.epochs}-epoch trace is the seed preset on the shipped sample's 3,000 "
        "training rows, default recording; its page keeps every epoch's figures and curves and "
        "the gradients of round-numbered epochs, and says so.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
