"""How much slower is a learner's script under ``netviz check`` than run plainly?

    python benchmarks/bench_check.py [--rows 3000] [--repeat 3] [--no-write]

Runs tests/learner/walkthrough.py (the walkthrough's per-example loop, as a learner types it) on
the first ROWS rows of the shipped sample, plainly (a copy whose epoch loop is cut to K) and
under ``netviz check --epochs K``, for K = 1 and 3, alternating, in one run. Per epoch is the
difference of the two, over 2: start-up (python, pandas, the CSV) cancels out. The goal
(issue 13): at most 5× the plain script's time per traced epoch. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "tests" / "learner" / "walkthrough.py"


def seconds(command: list[str], folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with gzip.open(ROOT / "sample_data" / "mnist_sample.csv.gz", "rt") as f:
            (folder / "train.csv").write_text("".join(next(f) for _ in range(args.rows + 1)))
        source = SCRIPT.read_text()
        for k in (1, 3):
            (folder / f"plain{k}.py").write_text(source.replace("range(500)", f"range({k})"))
        times: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for k in (1, 3):
                plain = [sys.executable, f"plain{k}.py", str(args.rows)]
                check = [sys.executable, "-m", "netviz", "check", str(SCRIPT), "--epochs", str(k)]
                times.setdefault(f"plain{k}", []).append(seconds(plain, folder))
                times.setdefault(f"check{k}", []).append(
                    seconds([*check, "--", str(args.rows)], folder)
                )
    t = {name: statistics.median(v) for name, v in times.items()}
    plain, checked = (t["plain3"] - t["plain1"]) / 2, (t["check3"] - t["check1"]) / 2
    rows = [
        ("plain script, per epoch", f"{plain * 1000:.0f} ms", f"{args.rows:,} examples"),
        (
            "under netviz check, per epoch",
            f"{checked * 1000:.0f} ms",
            "every value checked (the first 8 passes op by op, the rest at the epoch's end)",
        ),
        ("ratio", f"{checked / plain:.2f}×", "goal ≤ 5×"),
        (
            "start-up, plain / checked",
            f"{t['plain1'] - plain:.2f} s / {t['check1'] - checked:.2f} s",
            "",
        ),
    ]
    for row in rows:
        print(" | ".join(row))
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from results_file import cpu_name, table, write_section

        head = (
            "## netviz check: a learner's per-example script, plain and checked\n\n"
            f"`python benchmarks/bench_check.py --rows {args.rows}` on {cpu_name()}, medians"
            f" of {args.repeat}; per epoch = (3 epochs − 1 epoch) / 2.\n\n"
        )
        write_section("bench_check", head + table(rows))


if __name__ == "__main__":
    main()
