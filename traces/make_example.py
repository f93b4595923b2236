"""Make traces/example.nvtrace, the trace shipped with netviz: replay and export work on it right
after cloning, with no training first.

It records the classic network (preset ``seed``: 784-16-16-10, seed 0) on the shipped sample
digits through the Session API, as a learner at the debugger would:

1. example 0's whole pass at the first weights: forward, cost, backward, update (``e0/x0/…``);
2. example 1's pass at the same weights (``e0/x1/…``);
3. ``EPOCHS`` full-batch epochs (``e1`` … ``e8``);
4. example 0's pass again at the trained weights (``e8/x0/…``), to compare with the first.

The same netviz makes the same steps, tensors, metrics and examples, bit for bit on one machine;
only the ``created`` date and the ``run_id`` in the metadata differ from one build to the next.
(Another machine's BLAS kernels may round the last bits of some numbers differently.)
tests/test_example_trace.py checks that the committed file is still what this script makes.

    python traces/make_example.py [PATH]      (default: example.nvtrace beside this script)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.trace import TraceReader
from netviz.training.recording import RecordOptions
from netviz.training.run import RunSpec

DEFAULT_PATH = Path(__file__).with_name("example.nvtrace")
# Size (measured): each epoch adds 98 kB (ΣdW1 alone is 16×784 float64), each pass 229 kB (it
# holds W1 before and after its update), each weight checkpoint 131 kB. Three passes, two
# checkpoints and 8 epochs make 1.90 MB; 15 epochs would make 2.59 MB, over the 2 MB budget.
EPOCHS = 8
FIRST, SECOND = 0, 1  # a 5 and a 0; a session opens (and records) example 0 as it starts
SPEC = RunSpec(PRESETS["seed"].with_(epochs=EPOCHS), data="sample", seed=0)
RECORDING = RecordOptions(checkpoint_every=EPOCHS)  # the first and the last weights only
BREAKPOINTS = ("cost up", f"flip x{FIRST}")  # saved in the metadata, for replay to offer
WORKERS = 2  # pinned, so BLAS runs single-threaded (Trainer holds it to one thread per worker)


def build(path: str | Path = DEFAULT_PATH) -> Path:
    """Record the example trace into a temporary file beside ``path``, then rename it over
    ``path`` (a reader never sees half a file). Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The folder's name matches .gitignore's /traces/*.nvtrace*, should a kill leave it behind.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}-") as folder:
        draft = Path(folder) / path.name
        _record(draft)
        with open(draft, "r+b") as f:
            os.fsync(f.fileno())
        for suffix in ("-wal", "-shm", "-journal"):
            # An old side file beside the new database would be read as part of it.
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(draft, path)
    return path


def _record(path: Path) -> None:
    """The walkthrough itself: two passes, the epochs, the first example's pass again."""
    with Session(SPEC, trace=path, record=RECORDING, workers=WORKERS) as session:
        for condition in BREAKPOINTS:
            session.add_breakpoint(condition)
        session.goto_example(SECOND)
        # Back to the first example's pass (revisited, not recomputed): each epoch reopens the
        # example at the cursor at its new weights, and keeps only the last one, once visited.
        session.goto_example(FIRST)
        for _ in range(EPOCHS):
            session.run_epoch()
        session.goto_example(FIRST)  # visits the pass the last epoch reopened: recorded
    # Session.close() folded the write-ahead log back in: the trace is one self-contained file.
    leftovers = [p.name for p in path.parent.iterdir() if p.name != path.name]
    if leftovers:
        raise RuntimeError(f"{path} was not finished cleanly: {leftovers} left beside it")


def summary(path: Path) -> str:
    """What the trace holds, in a few lines."""
    with TraceReader(path) as reader:
        ops = reader.steps("op")
        passes = list(dict.fromkeys(f"e{s.epoch}/x{s.example}" for s in ops))
        last = reader.metrics().iloc[-1]
        epochs = reader.epochs()
        final = reader.final()  # at the weights after the last update, recorded on close
    return (
        f"wrote {path} ({path.stat().st_size:,} bytes)\n"
        f"  epochs: e{epochs[0]}–e{epochs[-1]} ({len(epochs)} full-batch)\n"
        f"  passes: {', '.join(passes)} ({len(ops)} ops)\n"
        f"  epoch {epochs[-1]} (at the weights it started from): cost {last['cost']:.4f}, "
        f"train accuracy {last['train_accuracy']:.1%}, test {last['test_accuracy']:.1%}\n"
        f"  the final weights (after epoch {final.epoch}'s update): cost {final.cost:.4f}, "
        f"train accuracy {final.train_accuracy:.1%}, test {final.test_accuracy:.1%}"
    )


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python traces/make_example.py [PATH]", file=sys.stderr)
        return 2
    print(summary(build(argv[0] if argv else DEFAULT_PATH)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
