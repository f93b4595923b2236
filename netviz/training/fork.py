"""Forks: a recorded run continued from its weights after K epochs, with other options.

The question a learner asks after a run: "what if, from epoch K on, I had chosen differently?".
A fork of a trace at ``eK`` starts from the weights after K epochs, as the trace's addresses
mean ``eK``: the weights epoch K's update made, which the ops ``eK/x…`` use and from which epoch
K+1 starts (the parent's ``e(K+1)`` metrics are measured at them). They are rebuilt from the
trace bit for bit (:meth:`~netviz.trace.TraceReader.weights`: a checkpoint, then the recorded
updates replayed with training's own rule). The data is the parent's, rebuilt from its metadata
(source, split, sizes, shuffle seed) and checked against it: the SHA-256 of the source, the sizes
and the watched examples' pixels and labels. The fork's epochs are numbered K+1 on, so its
curves line up with the parent's; with no option changed, its epoch K+1 is the parent's bit for
bit (the same weights, data and chunks, added in the same order: :mod:`.trainer`), on one CPU.

What may change, and why the rest may not:

- α and the number of epochs: anything.
- Pixel scaling: the inputs change by a factor of 255, so W1 is multiplied (or divided) by 255:
  Z1 = W1·x, and so the network, stays what it was (to rounding). The weights fit the new inputs.
- The hidden activation: only when the weights still make the same network with it: the same
  digit for at least 99 % of the training examples (sigmoid and seed-sigmoid, σ(Z) and
  σ(Z − 1e−5), do). Weights trained to feed σ's (0, 1) outputs forward make another network
  under tanh or relu: refused, saying how many predictions change.
- Layer widths and dtype: the weights have their shapes and precision. Init and seed choose
  initial weights, which a fork does not draw. The data, split, sizes and shuffle are the
  parent's (``--data`` may say where the same file is now). Given different from the parent's,
  each is refused with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.activations import activation as find_activation
from ..core.choices import ACTIVATION_NAMES, INIT_SCHEMES
from ..core.epoch import Plan
from ..core.network import Params, as_inputs, frozen, predict
from ..core.presets import Preset
from ..data import load_source
from ..errors import NetvizError
from ..safe import shown
from ..trace import TraceReader, parse_address
from .run import Run, RunSpec, prepare

FIT = 0.99  # share of training examples whose digit must stay the same under a new activation
PIXEL_SCALE = 255.0  # scaled pixels are raw ones / 255
SPLITS = ("seed", "official", "sizes")
NEEDED = ("sizes", "activation", "init", "seed", "dtype", "scale_pixels", "data", "data_sha256",
          "train_size", "test_size", "epochs")  # fmt: skip


@dataclass(frozen=True)
class ForkOptions:
    """What a fork changes (None: the parent's), and where the parent's data is, if it moved."""

    alpha: float | None = None
    scale: bool | None = None
    activation: str | None = None
    epochs: int | None = None  # how many epochs the fork trains: K+1 … K+epochs
    data: str | None = None  # the parent's data set, found elsewhere (checked by its SHA-256)


NO_CHANGES = ForkOptions()


@dataclass(frozen=True, eq=False)
class Parent:
    """What a fork needs of its parent's trace, read once."""

    path: Path
    meta: dict
    epoch: int  # K
    params: Params  # the weights after K epochs, bit for bit
    alpha: float  # the α the parent's epoch K+1 used (else its last known)
    first: int  # the epochs its weights start after (0; a fork's own fork epoch)
    planned: int  # the epoch it set out to end at
    examples: dict[int, tuple[np.ndarray, int | None]]  # watched: pixels, label


@dataclass(frozen=True, eq=False)
class Fork:
    """A run ready to continue a parent: ``run.params`` are the weights it starts from (the
    parent's after ``epoch`` epochs; W1 rescaled when the pixel scaling changed)."""

    parent: Path
    epoch: int  # K: the fork trains epochs K+1 … K+run.spec.preset.epochs
    run: Run
    changes: dict[str, tuple[object, object]]  # option → (parent's, fork's)
    meta: dict[str, object]  # what the fork's trace records of its parent
    watch: tuple[int, ...]  # the parent's watched examples, watched again
    plan: Plan | None = None  # the parent's epoch plan (None: a trace from before plans)


def fork_epoch(text: str) -> int:
    """K from ``eK`` (or a bare ``K``): the weights after K epochs."""
    where = parse_address(text if text.strip().startswith("e") else f"e{text.strip()}")
    if where is None or where["example"] is not None:
        raise NetvizError(
            f"--at {shown(text)}: give an epoch, like e3 (the weights after 3 epochs; e0: the "
            "initial weights)"
        )
    return where["epoch"]


def plan_fork(
    parent: str | Path,
    at: str,
    options: ForkOptions = NO_CHANGES,
    fixed: Mapping[str, object] | None = None,
) -> Fork:
    """Read the parent, rebuild its data and weights after K epochs, check what ``options`` and
    ``fixed`` (other command-line options, by flag: ``{"--layers": (32, 16)}``, None when not
    given) ask; the Fork, or a NetvizError saying in one line why not. Writes nothing."""
    p = read_parent(parent, fork_epoch(at))
    spec = parent_spec(p, options.data)
    check_fixed(p, spec, fixed or {})
    try:
        source = load_source(spec.data)
    except NetvizError as e:
        raise NetvizError(
            f"{p.path}: its data cannot be found ({e}); if the same file is elsewhere, say "
            "where with --data"
        ) from None
    if source.sha256 != p.meta["data_sha256"]:
        raise NetvizError(
            f"{source.name} is not the data {p.path} trained on (its SHA-256 differs); give "
            "that same file with --data"
        )
    base = prepare(spec, source)
    check_data(p, base)
    return continue_run(replace(base, params=p.params), p.epoch, options, p.path, p.meta)


def read_parent(path: str | Path, epoch: int) -> Parent:
    """The parent trace's metadata and its weights after ``epoch`` epochs, checked."""
    with TraceReader(path) as reader:
        if reader.damage:
            raise NetvizError(f"{reader.path}: {reader.damage}; a fork needs an intact trace")
        meta = reader.meta
        missing = [key for key in NEEDED if key not in meta]
        if missing:
            raise NetvizError(
                f"{reader.path}: not a training run's trace (its metadata lacks "
                f"{', '.join(missing)}), so it cannot be forked"
            )
        first = meta.get("fork_epoch", 0)
        first = first if isinstance(first, int) and first >= 0 else 0
        epochs = reader.epochs()
        last = epochs[-1] if epochs else first
        if not first <= epoch <= last:
            raise NetvizError(_out_of_range(reader.path, meta, epoch, first, last))
        params = reader.weights(epoch)
        if str(params.dtype) != meta["dtype"]:
            raise NetvizError(
                f"{reader.path}: damaged trace (its weights are {params.dtype}, its metadata "
                f"says {meta['dtype']})"
            )
        rows = {
            r["epoch"]: r for r in reader.metric_rows(after=epoch - 1) if r["epoch"] <= epoch + 1
        }
        row = rows.get(epoch + 1) or rows.get(epoch)
        alpha = float(row["alpha"] if row else meta["alpha"])
        watch = meta.get("watch", [])
        examples = {i: reader.example(i) for i in watch[:64]}
    return Parent(Path(path), meta, epoch, params, alpha, first, first + meta["epochs"], examples)


def _out_of_range(path: Path, meta: dict, epoch: int, first: int, last: int) -> str:
    held = f"weights after e{first}–e{last}" if last > first else f"only the weights after e{first}"
    if epoch < first:
        return (
            f"{path}: --at e{epoch}: this trace is a fork of {shown(meta.get('parent'))} at "
            f"e{first}, so it holds {held}; fork its parent for an earlier epoch"
        )
    return f"{path}: --at e{epoch} is beyond its epochs: it holds {held}"


def parent_spec(parent: Parent, data: str | None = None) -> RunSpec:
    """The RunSpec that rebuilds the parent's data and network: its recipe, source, split,
    sizes (the counts it had, which cut the same rows however they were asked for), shuffle
    and seed. ``data``: where the same source is now, if not where the parent found it."""
    meta = parent.meta
    recipe = meta["preset"] if isinstance(meta.get("preset"), dict) else {}
    split = recipe.get("split", "seed")
    init = meta["init"]
    shuffle = meta.get("shuffle_seed")
    if split not in SPLITS or init not in INIT_SCHEMES or not _whole_or_none(shuffle):
        what = "split" if split not in SPLITS else "init" if init not in INIT_SCHEMES else "shuffle"
        raise NetvizError(f"{parent.path}: damaged metadata (its {what} is not one netviz knows)")
    preset = Preset(
        name=str(recipe.get("name", "seed")),
        summary="",
        sizes=tuple(meta["sizes"]),
        activation=meta["activation"],
        init=init,
        alpha=parent.alpha,
        epochs=max(parent.planned - parent.epoch, 0),
        scale_pixels=meta["scale_pixels"],
        split=split,
        dtype=meta["dtype"],
    )
    return RunSpec(
        preset, data or meta["data"], meta["train_size"], meta["test_size"], shuffle, meta["seed"]
    )


def _whole_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


# Each option a fork cannot change: how the parent's value is read from the fork's RunSpec,
# and why it stays.
KEPT = "a fork starts from its parent's weights and draws none"
DATA = "a fork trains on its parent's data (--data may say where that same file is now)"
FIXED = {
    "--layers": (lambda s: s.preset.sizes[1:-1], "the weights' shapes cannot change"),
    "--dtype": (lambda s: s.preset.dtype, "the weights' precision cannot change"),
    "--init": (lambda s: s.preset.init, f"it chooses initial weights; {KEPT}"),
    "--seed": (lambda s: s.seed, f"it chooses initial weights; {KEPT}"),
    "--preset": (
        lambda s: s.preset.name,
        "a fork keeps its parent's recipe; change α, scaling or the activation with their options",
    ),
    "--split": (lambda s: s.preset.split, DATA),
    "--train-size": (lambda s: s.train_size, DATA),
    "--test-size": (lambda s: s.test_size, DATA),
    "--shuffle": (lambda s: s.shuffle_seed, DATA),
}


def check_fixed(parent: Parent, spec: RunSpec, given: Mapping[str, object]) -> None:
    """Refuse an option in ``given`` that differs from the parent's (the same value passes)."""
    layout = f"{'-'.join(map(str, spec.preset.sizes))} {spec.preset.dtype}"
    for flag, value in given.items():
        if value is None or flag not in FIXED:
            continue
        read, why = FIXED[flag]
        mine, theirs = tuple(value) if isinstance(value, list | tuple) else value, read(spec)
        if mine == theirs:
            continue
        raise NetvizError(
            f"{flag} {shown(_plain(mine))}: the parent's weights after e{parent.epoch} are "
            f"{layout}, its {flag.removeprefix('--')} {_plain(theirs)}; {why}"
        )


def _plain(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "not given" if value is None else str(value)


def check_data(parent: Parent, run: Run) -> None:
    """Refuse a split that is not what the parent trained on (its source's SHA-256 is checked
    before): other sizes, or other rows at the watched examples (a shuffle that an older trace
    did not record)."""
    meta, where = parent.meta, f"{parent.path}: the data rebuilt from its metadata"
    if (len(run.train), len(run.test)) != (meta["train_size"], meta["test_size"]):
        raise NetvizError(
            f"{where} has {len(run.train)} training and {len(run.test)} test examples, not "
            f"{meta['train_size']} and {meta['test_size']}"
        )
    for i, (pixels, label) in parent.examples.items():
        same = i < len(run.train) and np.array_equal(pixels, run.train.images[i])
        if not same or (label is not None and label != run.train.labels[i]):
            hint = (
                ""
                if "shuffle_seed" in meta
                else " (an older trace, which does not record a --shuffle seed)"
            )
            raise NetvizError(f"{where} differs at watched example {i}{hint}")


def continue_run(
    base: Run, epoch: int, options: ForkOptions, parent: Path, parent_meta: Mapping
) -> Fork:
    """The fork of ``base`` (the parent's run; its params the weights after ``epoch`` epochs,
    its preset's α and epochs the defaults) with ``options`` applied; refuses an activation the
    weights do not fit. ``parent``: the parent's trace; ``parent_meta``: its ``run_id`` and
    ``watch``. What a live session would call to fork the network it holds."""
    p, K = base.spec.preset, epoch
    epochs = p.epochs if options.epochs is None else options.epochs
    if options.epochs is not None and options.epochs < 1:
        raise NetvizError(f"--epochs {options.epochs}: a fork trains at least one epoch")
    if epochs < 1:
        raise NetvizError(
            f"{parent} set out to end by e{K}, so the fork has no epochs left to train: say how "
            "many with --epochs N"
        )
    if options.alpha is not None and not (np.isfinite(options.alpha) and options.alpha > 0):
        raise NetvizError(f"--lr {options.alpha:g}: α must be a finite number above 0")
    new = p.with_(alpha=options.alpha, scale_pixels=options.scale, activation=options.activation)
    new = replace(new, epochs=epochs)
    if new.activation not in ACTIVATION_NAMES:
        raise NetvizError(f"--activation {shown(new.activation)}: not one netviz knows")
    hidden = find_activation(new.activation)
    run = replace(base, spec=replace(base.spec, preset=new), hidden=hidden)
    if new.scale_pixels != p.scale_pixels:
        factor = PIXEL_SCALE if new.scale_pixels else 1 / PIXEL_SCALE
        run = replace(
            run,
            X=as_inputs(base.train.images, new.dtype, new.scale_pixels),
            X_test=as_inputs(base.test.images, new.dtype, new.scale_pixels),
            params=rescaled(base.params, factor),
        )
    if new.activation != p.activation:
        problem = fit_problem(base, run, K)
        if problem:
            raise NetvizError(problem)
    changes = {
        name: (getattr(p, name), getattr(new, name))
        for name in ("alpha", "scale_pixels", "activation")
        if getattr(p, name) != getattr(new, name)
    }
    meta = {
        "parent": str(parent),
        "parent_run_id": parent_meta.get("run_id"),  # None: a trace from before forks
        "fork_epoch": K,
        "fork_weights_sha256": weights_digest(base.params),
        "fork_changes": {name: list(pair) for name, pair in changes.items()},
    }
    watch = tuple(i for i in parent_meta.get("watch", []) if i < len(run.train))
    return Fork(parent, K, run, changes, meta, watch, _parent_plan(parent, parent_meta))


def _parent_plan(parent: Path, parent_meta: Mapping) -> Plan | None:
    """The epoch plan the parent trained with, so the fork adds in its order, on any machine
    (:mod:`.calibrate`); None for a parent that recorded none."""
    if parent_meta.get("plan") is None:
        return None
    try:
        return Plan.from_dict(parent_meta["plan"])
    except ValueError as e:
        raise NetvizError(f"{parent}: its recorded epoch plan is damaged ({e})") from None


def rescaled(params: Params, factor: float) -> Params:
    """``params`` with W1 × ``factor``: for inputs divided by ``factor``, Z1 = W1·x unchanged."""
    W1 = frozen(params.W[0] * params.dtype.type(factor))
    return Params((W1, *params.W[1:]), params.b)


def fit_problem(before: Run, after: Run, epoch: int) -> str | None:
    """Why the weights after ``epoch`` epochs do not fit ``after``'s activation, or None: with
    it, the network must give the digit it gave under ``before``'s for FIT of the training
    examples (a fork continues the network, it does not start another)."""
    with np.errstate(all="ignore"):  # relu on weights made for σ may overflow: a digit still
        old = predict(before.params, before.X, before.hidden)
        new = predict(after.params, after.X, after.hidden)
    m, changed = old.shape[0], int(np.count_nonzero(old != new))
    if changed <= (1 - FIT) * m:
        return None
    was, now = before.hidden.name, after.hidden.name
    return (
        f"--activation {now} does not fit the weights after e{epoch}: they were trained for "
        f"{was}, and with {now} the network gives another digit for {changed:,} of the {m:,} "
        f"training examples ({100 * changed / m:.0f} %); a fork continues the same network, "
        f"so at most {100 * (1 - FIT):.0f} % may change (train a {now} network from the start "
        f"with --activation {now})"
    )


def weights_digest(params: Params) -> str:
    """SHA-256 of the weights (each array's name, dtype, shape and little-endian bytes, W1, b1,
    … in order): which weights a fork started from, checkable against its parent."""
    h = hashlib.sha256()
    for name, a in params.named().items():
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        h.update(f"{name} {a.dtype.str} {list(a.shape)}\n".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def fork_trace_name(parent: Path, epoch: int) -> str:
    """``<parent's stem>-fork-e3``: a fork's default trace name, beside its parent in a list."""
    return f"{parent.stem}-fork-e{epoch}"
