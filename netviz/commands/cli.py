"""The ``netviz`` command line. Heavy modules are imported inside the commands that use them, so
``netviz --help`` answers at once.

Exit statuses: 0 success; 2 a refusal, before anything is done (a bad file, option or address:
one line on stderr, with anything from outside shown literally, see :mod:`netviz.safe`); 1 a
run that started but failed (training that diverged, a gradient check that did not pass); 130
an interrupt; 143 and 129 a ``data fetch`` ended by SIGTERM or SIGHUP (nothing half-written
left)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import NetvizError
from ..safe import literal
from . import arguments, options

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command cut off by `head`


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``netviz`` command; returns the exit status."""
    parser = build_parser()
    argv, script_args = _split_script_args(list(sys.argv[1:] if argv is None else argv))
    argv, session = _split_session_args(argv)
    try:
        args = parser.parse_args(argv)
        if script_args is not None:
            args.script_args = [*getattr(args, "script_args", []), *script_args]
        if session is not None:
            args.session = session
        if not hasattr(args, "command"):
            if sys.stdin.isatty() and sys.stdout.isatty():  # a person at a terminal: the tour
                args = parser.parse_args(["tour"])
            else:
                parser.print_help()
                return 0
        return args.command(args)
    except NetvizError as e:
        # File names, values and reasons in the message come from outside: shown, never obeyed.
        print(f"netviz: error: {literal(e)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        # A last resort: sizes are checked against the memory budget before anything is made.
        print("netviz: error: out of memory (the machine has too little for this)", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netviz: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`netviz trace metrics FILE | head`): stop quietly, as cat does.
        # Point stdout at devnull so Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _split_script_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """``netviz check S.py --epochs 1 -- ARGS``: everything after the first ``--`` is the
    script's own (argparse would not take options after the script's name otherwise)."""
    if argv[:1] == ["check"] and "--" in argv:
        k = argv.index("--")
        return argv[:k], argv[k + 1 :]
    return argv, None


def _split_session_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """``netviz serve --port 8001 --preset tuned``: the words that are not serve's own options
    are the browser session's command (the tour's options, ``lesson NAME``, ``replay FILE``),
    parsed later as that command's."""
    if argv[:1] != ["serve"]:
        return argv, None
    from .serve import split_args

    return split_args(argv)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage is one --help away)."""

    def error(self, message: str):
        # argparse quotes what was typed (an unknown choice, a stray argument): made literal.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {literal(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="netviz",
        description="See how a from-scratch numpy digit classifier learns, op by op.",
    )
    parser.add_argument("--version", action="version", version=f"netviz {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = options.run_options()
    train = sub.add_parser(
        "train",
        parents=[run],
        help="train the network headless, full batch, and report accuracy",
        description="Full-batch gradient descent from the command line. Options not given come "
        "from the preset.",
        epilog=options.presets_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--out", metavar="FILE.npz", help="save the final weights here")
    train.add_argument(
        "--workers",
        type=arguments.positive,
        default=None,
        help="threads per epoch (default: what runs fastest here, measured once; see -v)",
    )
    train.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="say how epochs are cut into chunks and shared among threads on this machine, "
        "and where that choice comes from",
    )
    fork = train.add_argument_group("fork: continue a recorded run with other options")
    fork.add_argument(
        "--from",
        dest="parent",
        metavar="TRACE",
        help="continue TRACE's run from its weights after --at, on its data, with the options "
        "given: --lr, --scale/--no-scale, --activation (if the weights fit it), --epochs (how "
        "many to train; default: to the parent's last)",
    )
    fork.add_argument(
        "--at",
        metavar="eK",
        help="with --from: the weights after K epochs (e0: the initial ones); the fork's "
        "epochs are numbered K+1 on",
    )
    options.trace_options(train)
    train.set_defaults(command=_train)

    tour = sub.add_parser(
        "tour",
        parents=[run],
        help="step through forward prop and backprop in the terminal, then train (the default)",
        description="The terminal walkthrough: one digit through the network op by op, then "
        "full-batch epochs. Options not given come from the preset.",
        epilog=options.presets_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tour.add_argument(
        "--goto", metavar="WHERE", help="start at an example (17) or address (e0/x17/bwd/L2/dZ)"
    )
    mine = tour.add_argument_group("your own digit and weights")
    mine.add_argument("--image", metavar="FILE", help="start on a picture of a digit (PNG, JPEG)")
    mine.add_argument(
        "--label", type=arguments.count, metavar="D", help="which digit the --image is"
    )
    mine.add_argument("--weights", metavar="FILE.npz", help="start from saved weights")
    options.trace_options(tour)
    tour.set_defaults(command=_tour)

    check = sub.add_parser(
        "gradcheck",
        parents=[run],
        help="check backprop's gradients against central differences",
        description="Check backprop's gradients against central differences of the cost, per W "
        "and b, at the initial weights; with --epochs K, train K full-batch epochs first and "
        "check at those weights. Exit 1 when an array differs or has too few measurable entries.",
    )
    check.add_argument(
        "--examples", type=arguments.positive, default=50, help="examples in the cost"
    )
    check.add_argument(
        "--entries",
        type=arguments.entries,
        default=20,
        help="entries checked per W and b, 3 or more (an array passes with 3 that agree)",
    )
    check.add_argument(
        "--eps",
        type=arguments.step,
        default=1e-5,
        help="difference step ε, 1e-8 to 1e-3 (default 1e-5)",
    )
    check.set_defaults(command=_gradcheck)

    own = sub.add_parser(
        "check",
        help="run your own network script and find where it parts from the reference",
        description="Run SCRIPT.py, your own from-scratch network, as `python SCRIPT.py ARGS` "
        "would: it is your code and runs with your rights, in this folder. netviz follows the "
        "values it assigns (W1 b1 Z1 A1 dZ1 dW1 … under the usual names), checks each op "
        "against the reference rules computed from your own inputs, and stops it after K "
        "epochs. Exit 0: it matches; 1: the first difference (or your script's error), with "
        "the line and the likely mistake, proven; 2: nothing to check.",
    )
    own.add_argument("script", metavar="SCRIPT.py", help="your network script")
    own.add_argument(
        "--epochs", type=arguments.positive, default=2, help="epochs to follow (default 2)"
    )
    own.add_argument(
        "--names",
        metavar="MAP",
        help="your names for netviz's, e.g. hidden1=A1,out=A3 (W1 b1 Z1 A1 dZ1 dW1 db1 dA1 of "
        "any layer, x X y labels yhat alpha m)",
    )
    own.add_argument(
        "--trace",
        metavar="FILE",
        help="write the passes checked op by op, your values beside the reference's, to FILE "
        "(netviz replay FILE shows them side by side)",
    )
    own.add_argument(
        "script_args", nargs="*", metavar="ARGS", help="your script's arguments, after --"
    )
    own.set_defaults(command=_check)

    lesson = sub.add_parser(
        "lesson",
        help="walk a lesson in the tour: it asks before it shows",
        description="Walk a lesson of the shipped course (or your own TOML file) in the tour: "
        "at each stop a short text, and at some a question answered before the value is shown. "
        "Your answers are kept in the trace.",
    )
    lesson.add_argument("name", nargs="?", metavar="NAME|FILE.toml", help="a lesson (see --list)")
    lesson.add_argument("--list", action="store_true", help="list the course's lessons")
    lesson.add_argument(
        "--review",
        metavar="FOLDER",
        nargs="?",
        const="traces",
        help="ask again the questions missed in earlier lessons (their traces in FOLDER, "
        "default traces/)",
    )
    lesson.add_argument("--data", help="the data set (default: the shipped sample)")
    lesson.add_argument(
        "--trace", metavar="FILE", help="trace file (default: a new one in traces/)"
    )
    lesson.set_defaults(command=_lesson)

    predict = sub.add_parser("predict", help="predict digits with saved weights")
    predict.add_argument("--weights", required=True, metavar="FILE.npz")
    given = predict.add_mutually_exclusive_group(required=True)
    given.add_argument("--data", help="CSV (labelled or not) or IDX")
    given.add_argument(
        "--image",
        nargs="+",
        metavar="FILE",
        help="pictures of digits (PNG, JPEG, any size): one line each, FILE: digit (ŷ %%)",
    )
    predict.add_argument("-o", "--out", metavar="FILE.csv", help="write ImageId,Label rows")
    predict.set_defaults(command=_predict)

    trace = sub.add_parser("trace", help="look inside a trace file")
    trace_sub = trace.add_subparsers(title="trace commands", metavar="COMMAND", required=True)
    info = trace_sub.add_parser("info", help="run metadata, counts, size, epochs, final metrics")
    info.add_argument("file")
    info.set_defaults(command=_trace_info)
    metrics = trace_sub.add_parser("metrics", help="the per-epoch metrics table (CSV)")
    metrics.add_argument("file")
    metrics.add_argument("-o", "--out", metavar="FILE.csv", help="write here (default: print)")
    metrics.set_defaults(command=_trace_metrics)
    answers = trace_sub.add_parser("answers", help="a lesson's answers, for a teacher (CSV)")
    answers.add_argument("file")
    answers.add_argument("-o", "--out", metavar="FILE.csv", help="write here (default: print)")
    answers.set_defaults(command=_trace_answers)
    tensors = trace_sub.add_parser("tensors", help="print the arrays of one step")
    tensors.add_argument("file")
    tensors.add_argument(
        "--at", required=True, metavar="ADDRESS", help="e12, e12/x4821/bwd/L2/dZ or a step number"
    )
    tensors.set_defaults(command=_trace_tensors)

    replay = sub.add_parser(
        "replay",
        help="step through a saved trace in the terminal UI (read-only; follows a growing one)",
        description="The walkthrough over a saved trace: every recorded op, epoch and chart, "
        "read-only. Keys that would compute something new say so.",
    )
    replay.add_argument("file")
    replay.add_argument(
        "--goto", metavar="ADDRESS", help="start at an address (e12, e0/x17/bwd/L2/dZ)"
    )
    replay.set_defaults(command=_replay)

    export = sub.add_parser("export", help="draw figures from a trace: heatmaps, animations…")
    export_sub = export.add_subparsers(title="export commands", metavar="COMMAND", required=True)
    heatmap = export_sub.add_parser(
        "heatmap",
        help="one layer's weights, gradients or update as a heatmap (PNG, SVG or PDF)",
        description="Layer 1 is drawn as one 28×28 tile per hidden neuron (its incoming "
        "weights); other layers as matrices. Colours are centred on zero. At an epoch: weight "
        "is W after that epoch, grad is ΣdW/m of that epoch, update is −α·ΣdW/m (the change "
        "the epoch made). At an op address: the values of that example's pass; input: "
        "dC/dx = W1ᵀ·dZ1, how each pixel of that example moves its cost, over the digit.",
    )
    heatmap.add_argument("file")
    at = heatmap.add_mutually_exclusive_group()
    at.add_argument("--at", metavar="ADDRESS", help="an address: e12 or e12/x4821/bwd/L2/dW")
    at.add_argument(
        "--epoch", type=arguments.count, metavar="E", help="an epoch (default: the last)"
    )
    heatmap.add_argument(
        "--layer", type=arguments.positive, metavar="L", help="default: the op's own layer, else 1"
    )
    heatmap.add_argument("--what", choices=["grad", "weight", "update", "input"], default="grad")
    heatmap.add_argument(
        "--output",
        type=arguments.count,
        metavar="K",
        help="with --what input: the gradient of output K's score Z3[K] (before softmax) "
        "instead of the cost",
    )
    heatmap.add_argument(
        "-o", "--out", metavar="OUT", help=".png, .svg or .pdf (default: named by the address)"
    )
    heatmap.set_defaults(command=_export_heatmap)
    animation = export_sub.add_parser(
        "animation", help="a GIF of a layer's weights or gradients, one frame per epoch"
    )
    animation.add_argument("file")
    animation.add_argument("--what", choices=["grad", "weight"], required=True)
    animation.add_argument(
        "--layer", type=arguments.positive, default=1, metavar="L", help="default 1"
    )
    animation.add_argument(
        "--epochs", metavar="A:B", help="epochs A to B, both included (default: all recorded)"
    )
    animation.add_argument("-o", "--out", required=True, metavar="OUT.gif")
    animation.set_defaults(command=_export_animation)
    curves = export_sub.add_parser("curves", help="cost and accuracy per epoch")
    curves.add_argument("file")
    curves.add_argument(
        "--compare", nargs="+", default=[], metavar="OTHER", help="overlay other runs' traces"
    )
    curves.add_argument("-o", "--out", required=True, metavar="OUT", help=".png, .svg or .pdf")
    curves.set_defaults(command=_export_curves)
    card = export_sub.add_parser(
        "card", help="one step on a page: its equation and numbers, W, dW and the update"
    )
    card.add_argument("file")
    card.add_argument("--at", required=True, metavar="ADDRESS", help="e0/x17/bwd/L2/dW")
    card.add_argument(
        "-o", "--out", metavar="OUT", help=".png or .md (default: named by the address)"
    )
    card.set_defaults(command=_export_card)
    html = export_sub.add_parser(
        "html",
        help="the steps as one self-contained web page (keys, a link to each step, phone, print)",
        description="One HTML file that loads nothing: the recorded steps in order, each op "
        "with its equation, shapes, explanation, numbers and digit (a gradient: the chain-rule "
        "card of its largest entry), each epoch with its figures and curves. It says what it "
        "holds: of many epochs, the gradients of some. ← → move between steps; #ADDRESS in the "
        "link opens one.",
    )
    html.add_argument("file")
    html.add_argument(
        "--from", dest="first", metavar="ADDRESS", help="first step (default: the first)"
    )
    html.add_argument("--to", dest="last", metavar="ADDRESS", help="last step (default: the last)")
    html.add_argument(
        "--lesson",
        metavar="NAME|FILE",
        help="a lesson's texts and questions at its stops, answers revealed on click",
    )
    html.add_argument("-o", "--out", required=True, metavar="OUT.html")
    html.set_defaults(command=_export_html)

    serve = sub.add_parser(
        "serve",
        help="the tour (or a lesson, or a replay) in a web browser, a session per visitor",
        usage="netviz serve [-h] [--host HOST] [--port PORT] [--public] [--max-sessions N] "
        "[TOUR OPTIONS | lesson NAME | replay FILE]",
        description="Serve the tour to web browsers (textual-serve): each browser session runs "
        "its own netviz tour process here, with your rights, writing its own trace in traces/. "
        "Anything after serve's own options is the session's: the tour's options (see netviz "
        "tour --help), or lesson NAME, or replay FILE [--goto ADDRESS].",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    serve.add_argument("--port", type=arguments.positive, default=8000, help="default 8000")
    serve.add_argument(
        "--public",
        action="store_true",
        help="allow a --host other machines can reach: anyone who can reach the port gets a "
        "session running netviz with your rights",
    )
    serve.add_argument(
        "--max-sessions",
        type=arguments.positive,
        default=8,
        metavar="N",
        help="sessions at once (default 8); a browser past them is told the server is full",
    )
    serve.set_defaults(command=_serve, session=[])

    data = sub.add_parser("data", help="data sets: fetch MNIST")
    data_sub = data.add_subparsers(title="data commands", metavar="COMMAND", required=True)
    fetch = data_sub.add_parser("fetch", help="download a data set into the cache")
    fetch.add_argument("name", choices=["mnist"])
    fetch.add_argument("--mirror", help="base URL holding the four .gz files")
    fetch.add_argument("--dir", help="folder to put them in (default: the XDG cache)")
    fetch.set_defaults(command=_fetch)
    return parser


def _train(args: argparse.Namespace) -> int:
    if args.parent is not None or args.at is not None:
        from .train import fork_command

        return fork_command(args, _recording(args))
    from .train import train

    return train(
        options.spec(args),
        out=args.out,
        workers=args.workers,
        trace=args.trace,
        record=_recording(args),
        verbose=args.verbose,
    )


def _recording(args: argparse.Namespace):
    """The RecordOptions the trace options ask for, or None for --no-trace."""
    from ..training.recording import RecordOptions

    if args.no_trace:
        return None
    return RecordOptions(args.record, args.checkpoint_every, args.watch, args.full_epochs)


def _tour(args: argparse.Namespace) -> int:
    from .tour import tour

    own = {"image": args.image, "label": args.label, "weights": args.weights, "alpha": args.lr}
    return tour(options.spec(args), trace=args.trace, record=_recording(args), goto=args.goto,
                **own)  # fmt: skip


def _lesson(args: argparse.Namespace) -> int:
    from .lesson import lesson, list_lessons, review

    if args.review is not None:
        return review(args.review, args.data, args.trace)
    if args.list or args.name is None:
        return list_lessons()
    return lesson(args.name, args.data, args.trace)


def _check(args: argparse.Namespace) -> int:
    from .check import check

    return check(args.script, args.script_args, args.epochs, args.names, args.trace)


def _gradcheck(args: argparse.Namespace) -> int:
    from .gradcheck import gradcheck

    return gradcheck(options.spec(args), args.examples, args.entries, args.eps, epochs=args.epochs)


def _predict(args: argparse.Namespace) -> int:
    from .predict import predict

    return predict(args.weights, args.data, args.out, args.image)


def _trace_info(args: argparse.Namespace) -> int:
    from .trace import info

    return info(args.file)


def _trace_answers(args: argparse.Namespace) -> int:
    from .trace import answers

    return answers(args.file, args.out)


def _trace_metrics(args: argparse.Namespace) -> int:
    from .trace import metrics

    return metrics(args.file, args.out)


def _trace_tensors(args: argparse.Namespace) -> int:
    from .trace import tensors

    return tensors(args.file, args.at)


def _replay(args: argparse.Namespace) -> int:
    from .replay import replay

    return replay(args.file, goto=args.goto)


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.host, args.port, args.public, args.max_sessions, args.session,
                 parse=build_parser().parse_args)  # fmt: skip


def _export_heatmap(args: argparse.Namespace) -> int:
    from .export import heatmap

    return heatmap(args.file, at=args.at, epoch=args.epoch, layer=args.layer, what=args.what,
                   out=args.out, output=args.output)  # fmt: skip


def _export_animation(args: argparse.Namespace) -> int:
    from .export import animation

    return animation(args.file, what=args.what, layer=args.layer, epochs=args.epochs,
                     out=args.out)  # fmt: skip


def _export_curves(args: argparse.Namespace) -> int:
    from .export import curves

    return curves(args.file, compare=args.compare, out=args.out)


def _export_card(args: argparse.Namespace) -> int:
    from .export import card

    return card(args.file, at=args.at, out=args.out)


def _export_html(args: argparse.Namespace) -> int:
    from .export import html

    return html(args.file, first=args.first, last=args.last, lesson=args.lesson, out=args.out)


def _fetch(args: argparse.Namespace) -> int:
    from .fetch import fetch

    return fetch(args.mirror, args.dir)
