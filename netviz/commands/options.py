"""The options ``train``, ``tour`` and ``gradcheck`` share (data, recipe, network, trace) and
the run they describe."""

from __future__ import annotations

import argparse
import sys

from ..errors import NetvizError
from . import arguments


def say(line: str) -> None:
    """A line for the user while a run gets ready (the machine being measured, say), on stderr:
    not part of the command's output, and shown before a tour's app takes the screen."""
    print(line, file=sys.stderr, flush=True)


def say_traces(session) -> None:
    """``trace: FILE`` for each trace a tour or lesson's session wrote (a reset starts a new
    one), saying which of them stopped recording (a full disk)."""
    from ..safe import literal
    from ..session.snapshot import STOPPED

    for path in session.traces:
        stopped = f" {STOPPED}" if path in session.stopped else ""
        print(f"trace: {literal(path)}{stopped}")


def presets_text() -> str:
    import textwrap

    from ..core.presets import PRESETS

    lines = [
        textwrap.fill(p.summary, 79, initial_indent=f"  {p.name:<7}", subsequent_indent=" " * 9)
        for p in PRESETS.values()
    ]
    return "presets:\n" + "\n".join(lines)


def trace_options(parser: argparse.ArgumentParser) -> None:
    """Where the run's trace goes and how much it holds."""
    g = parser.add_argument_group("trace")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--trace", metavar="FILE", help="trace file (default: a new one in traces/)")
    where.add_argument("--no-trace", action="store_true", help="record nothing")
    g.add_argument(
        "--record",
        choices=["minimal", "default", "full"],
        default="default",
        help="minimal: metrics and checkpoints; default: + ΣdW, Σdb, activation statistics and "
        "watched examples; full: + Z and A of every example",
    )
    g.add_argument(
        "--checkpoint-every",
        type=arguments.every,
        default=50,
        metavar="K",
        help="weights every K epochs",
    )
    g.add_argument(
        "--watch",
        type=arguments.indices,
        metavar="I,J,…",
        help="training examples to watch (default 0–7)",
    )
    g.add_argument(
        "--full-epochs",
        type=arguments.indices,
        metavar="A,B,…",
        help="with --record full: only these epochs",
    )


def run_options() -> argparse.ArgumentParser:
    """Options that choose the data, the recipe and the network (train, gradcheck, tour)."""
    from ..core.choices import ACTIVATION_NAMES, INIT_SCHEMES
    from ..core.presets import PRESETS

    p = argparse.ArgumentParser(add_help=False)  # a parent: its arguments only
    g = p.add_argument_group("data")
    g.add_argument("--data", help="CSV file, IDX folder or file, or 'sample' (the default)")
    g.add_argument("--split", choices=["seed", "official", "sizes"], help="how rows are cut")
    g.add_argument("--train-size", type=arguments.count, help="training examples (first rows)")
    g.add_argument("--test-size", type=arguments.count, help="test examples (the rows after them)")
    g.add_argument(
        "--shuffle", type=arguments.count, metavar="SEED", help="shuffle rows with this seed first"
    )
    g.add_argument(
        "--scale", action=argparse.BooleanOptionalAction, help="pixels / 255 into [0, 1]"
    )
    n = p.add_argument_group("network and training")
    n.add_argument("--preset", choices=list(PRESETS), help="recipe (default seed)")
    n.add_argument("--epochs", type=arguments.epochs, help="full-batch epochs")
    n.add_argument("--lr", type=arguments.positive_float, help="learning rate α")
    n.add_argument("--layers", type=arguments.layers, help="hidden layer widths, e.g. 16,16")
    n.add_argument("--activation", choices=ACTIVATION_NAMES, help="hidden activation")
    n.add_argument("--init", choices=INIT_SCHEMES, help="weight initialisation")
    n.add_argument(
        "--seed", type=arguments.count, help="RNG seed of the initial weights (default 0)"
    )
    n.add_argument("--dtype", choices=["float64", "float32"], help="float precision")
    return p


def spec(args: argparse.Namespace):
    """The RunSpec the options describe: the preset, with what was given on the command line."""
    from ..training.run import RunSpec, preset

    chosen = preset(args.preset or "seed").with_(
        epochs=args.epochs,
        alpha=args.lr,
        sizes=(784, *args.layers, 10) if args.layers else None,
        activation=args.activation,
        init=args.init,
        scale_pixels=args.scale,
        split=args.split,
        dtype=args.dtype,
    )
    check_network(chosen.sizes, chosen.dtype)
    seed = 0 if args.seed is None else args.seed
    data = args.data or "sample"
    return RunSpec(chosen, data, args.train_size, args.test_size, args.shuffle, seed)


def check_network(sizes: tuple[int, ...], dtype: str) -> None:
    """Refuse a network too large to train here before a single weight is drawn."""
    import numpy as np

    from ..safe import network_over_budget

    problem = network_over_budget(sizes, np.dtype(dtype).itemsize)
    if problem:
        raise NetvizError(f"--layers: {problem}; choose narrower layers")
