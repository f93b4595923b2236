"""Each benchmark script owns one section of benchmarks/RESULTS.md, between markers."""

from __future__ import annotations

from pathlib import Path

from netviz.training.calibrate import cpu_name  # noqa: F401 (the benchmarks' import)

RESULTS = Path(__file__).parent / "RESULTS.md"
TITLE = "# Benchmarks\n\nWritten by the scripts in this folder; each owns one section.\n"


def write_section(name: str, markdown: str) -> None:
    """Replace (or add) the section ``name`` of RESULTS.md with ``markdown``."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = RESULTS.read_text() if RESULTS.exists() else TITLE
    block = f"{start}\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    elif "\n## How to read" in text:  # new sections go above the hand-written notes
        head, notes = text.split("\n## How to read", 1)
        text = head.rstrip() + "\n\n" + block + "\n\n## How to read" + notes
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
    print(f"wrote section {name!r} of {RESULTS}")


def table(rows: list[tuple[str, str, str]]) -> str:
    """A markdown table of (measure, value, note) rows."""
    lines = ["| measure | value | note |", "|---|---:|---|"]
    return "\n".join(lines + [f"| {w} | {v} | {n} |" for w, v, n in rows])
