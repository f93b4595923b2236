"""What a heatmap shows, read from a trace: one layer's weights, gradient or update, with its words.

At an epoch ``e12`` (the step from the weights after 11 epochs to those after 12):

- weight: W after the epoch, rebuilt exactly from the trace (epoch 0: the initial weights);
- grad: ∂C/∂W = ΣdW/m, the epoch step's summed gradient over its m examples, taken at the
  weights the epoch started from (those after epoch 11: ``weight`` at ``e11``);
- update: −α·ΣdW/m, the change the epoch made, W(12) − W(11).

At an op address ``e3/x17/bwd/L1/dW`` (one op of example 17's pass at the weights after epoch 3):

- weight: the pass's W; from the pass's ``upd/Ll/W`` op on, its output W′ = W − α·dW, what one
  step on this example alone would make of W (shown, never applied: full-batch training updates
  once per epoch);
- grad: the pass's dW, one example's gradient;
- update: −α·dW, the single-example update (the pass must end in an update, with α);
- input (op addresses only): dC/dx = W1ᵀ·dZ1, how each pixel of the example moves its cost,
  from the pass's recorded W1 and dZ1; or, with ``output`` = k, ∂ZL[k]/∂x, how each pixel
  moves digit k's score (its dZ1 recomputed from the pass's recorded A and W, see
  :mod:`netviz.core.saliency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..core.steps import YHAT, one_step
from ..errors import NetvizError
from ..safe import literal
from ..trace import Step, TraceReader, parse_address
from ..trace.schema import own_digit_name

What = Literal["grad", "weight", "update", "input"]


@dataclass(frozen=True)
class Shown:
    """One layer's matrix as a heatmap shows it: ``values`` (n_l, n_{l−1}) and its words; or,
    for ``what`` = input, the input gradient ``values`` (784, 1) over the pass's ``x`` (784, 1)
    (``layer`` 0: the input is A0)."""

    values: np.ndarray
    layer: int
    what: What
    label: str  # what the matrix is: "∂C/∂W1 = ΣdW1/m in epoch 12"
    address: str  # where: "e12" or "e3/x17/bwd/L1/dW"
    detail: str = ""  # m and α, when they matter
    x: np.ndarray | None = None  # the example an input gradient is drawn over
    x_words: str = ""  # what that example is: "x: example 3, label 1, guessed 1 (97.2 %)"
    output: int | None = None  # the output whose score an input gradient is of (None: the cost)


# --- where -------------------------------------------------------------------------------------


def run_name(reader: TraceReader) -> str:
    """The trace's file stem, with its preset when the file says: ``seed-2026… (seed preset)``,
    and the saved weights it began from: ``(seed preset, from w.npz)``."""
    preset = reader.meta.get("preset")
    name = preset.get("name") if isinstance(preset, dict) else preset
    stem = literal(reader.path.stem)  # a file's name: shown, never obeyed
    start = started_from(reader)
    if isinstance(name, str):
        return f"{stem} ({literal(name)} preset{f', from {start}' if start else ''})"
    return f"{stem} (from {start})" if start else stem


def started_from(reader: TraceReader) -> str:
    """The saved weights a run began from (``tour --weights w.npz``): their file's name, shown
    literally; "" for a run from its recipe's first weights. Its epochs count from them."""
    origin = reader.meta.get("start_weights")
    return literal(Path(origin).name) if isinstance(origin, str) and origin else ""


def layer_count(reader: TraceReader) -> int:
    sizes = reader.meta.get("sizes")
    if isinstance(sizes, list) and len(sizes) >= 2:
        return len(sizes) - 1
    return len(reader.weights(0).W)


def trace_layer(reader: TraceReader, layer: int) -> int:
    """``layer`` if the network has it; else a NetvizError giving the range."""
    count = layer_count(reader)
    if not 1 <= layer <= count:
        raise NetvizError(f"{reader.path}: layer {layer}: this network has layers 1–{count}")
    return layer


def check_epoch(reader: TraceReader, epoch: int, what: str) -> int:
    """``epoch`` if the trace has what ``what`` needs of it (its first weights, epoch 0 or a
    fork's K, have no gradient)."""
    epochs = reader.epochs()
    first = epochs[0] - 1 if epochs else 0
    if epoch == first:
        if what != "weight":
            raise NetvizError(
                f"{reader.path}: epoch {first} is this trace's first weights, before any "
                f"gradient: ask for epoch {first + 1} or later, or --what weight"
            )
        return epoch
    if epoch not in epochs:
        held = f"epochs {epochs[0]}–{epochs[-1]}" if epochs else "no epochs"
        raise NetvizError(
            f"{reader.path}: epoch {epoch} was not recorded (this trace holds {held})"
        )
    return epoch


def file_part(address: str) -> str:
    """An address as a piece of a file name: ``e3/x17/bwd/L1/dW`` → ``e3-x17-bwd-L1-dW``."""
    return address.replace("/", "-")


def heatmap_name(reader: TraceReader, shown: Shown, suffix: str = ".png") -> str:
    """``<trace stem>_e12_L1_grad.png``: the run, the address, the layer and what is shown;
    ``<stem>_e3-x17-bwd-L1-dZ_input.png`` (``…_input_score7.png``) for an input gradient."""
    if shown.what == "input":
        score = "" if shown.output is None else f"_score{shown.output}"
        return f"{reader.path.stem}_{file_part(shown.address)}_input{score}{suffix}"
    return f"{reader.path.stem}_{file_part(shown.address)}_L{shown.layer}_{shown.what}{suffix}"


# --- what --------------------------------------------------------------------------------------


def shown_at(
    reader: TraceReader,
    *,
    at: str | None = None,
    epoch: int | None = None,
    layer: int | None = None,
    what: What = "grad",
    output: int | None = None,
) -> Shown:
    """The matrix a heatmap draws: at an address, at an epoch, or (neither) at the last epoch.

    ``layer`` None means the layer of the op at ``at``, or 1. ``what`` = input (with ``output``
    for one output's score) needs an op address: see :func:`input_at`.
    """
    if what == "input":
        return input_at(reader, at, epoch=epoch, layer=layer, output=output)
    if output is not None:
        raise NetvizError(f"--output {output} goes with --what input (one output's score)")
    if at is not None:
        parts = parse_address(at)
        if parts is not None and parts["example"] is None:
            epoch = parts["epoch"]
        else:
            step = reader.step(at)
            if step.kind == "epoch":
                epoch = step.epoch
            else:
                l = trace_layer(reader, layer or step.layer or 1)
                return pass_matrix(reader, step, l, what)
    l = trace_layer(reader, layer or 1)
    if epoch is None:
        epochs = reader.epochs()
        if not epochs and what != "weight":
            raise NetvizError(
                f"{reader.path}: no epochs recorded, so no epoch {_words(what)}: pass --at with "
                "an example's op address (like e0/x0/bwd/L1/dW), or --what weight"
            )
        epoch = epochs[-1] if epochs else 0
    return epoch_matrix(reader, epoch, l, what)


def epoch_matrix(reader: TraceReader, epoch: int, layer: int, what: What) -> Shown:
    """Layer ``layer``'s weights after ``epoch``, or that epoch's ΣdW/m or −α·ΣdW/m."""
    check_epoch(reader, epoch, what)
    W = f"W{layer}"
    if what == "weight":
        label = weights_label(W, epoch, started_from(reader))
        return Shown(reader.weights(epoch).W[layer - 1], layer, what, label, f"e{epoch}")
    alpha, m, dW = epoch_gradient(reader, epoch)
    grad = dW[layer - 1] / m
    if what == "grad":
        label = f"∂C/∂{W} = ΣdW{layer}/m in epoch {epoch}, at the weights it started from"
        return Shown(grad, layer, what, label, f"e{epoch}", f"m = {m:,}")
    label = f"update −α·ΣdW{layer}/m in epoch {epoch} = {W}({epoch}) − {W}({epoch - 1})"
    return Shown(-alpha * grad, layer, what, label, f"e{epoch}", f"α = {alpha:g}, m = {m:,}")


def epoch_gradient(
    reader: TraceReader, epoch: int, instead: str = "use --what weight"
) -> tuple[float, int, list[np.ndarray]]:
    """(α, m, [ΣdW1, ΣdW2, …]) of a recorded epoch; a NetvizError (ending with what to do
    ``instead``) when ΣdW was not kept."""
    sums = reader.epoch_sums(epoch)
    if sums is None:
        raise NetvizError(
            f"{reader.path}: epoch {epoch}'s ΣdW was not recorded (a trace made with "
            f"--record {reader.meta.get('record', 'minimal')} keeps the metrics and weights "
            f"only): {instead}"
        )
    alpha, m, dW, _ = sums
    return float(alpha), int(m), dW


def pass_matrix(reader: TraceReader, step: Step, layer: int, what: What) -> Shown:
    """Layer ``layer``'s W, dW or −α·dW of the example pass that holds op ``step``."""
    ops = pass_steps(reader, step)
    W, dW, x = f"W{layer}", f"dW{layer}", f"example {step.example}"
    if what == "weight":
        values, which = weight_at(reader, ops, step, layer)
        label = {
            "pass": f"{W} used by {x}'s pass",
            "step": f"{one_step(W)} = {W} − α·{dW}: one step on {x} alone (not applied)",
            "updated": f"{W} after {x}'s update",
        }[which]
        return Shown(values, layer, what, f"{label} at epoch {step.epoch}", step.address)
    grad_step = next((s for s in ops if dW in s.outputs), None)
    if grad_step is None:
        raise NetvizError(f"{reader.path}: {step.address}: the pass holds no {dW}")
    grad = reader.tensors(grad_step.step)[dW]
    if what == "grad":
        label = f"{grad_step.equation}: {x}'s gradient at epoch {step.epoch}"
        return Shown(grad, layer, what, label, step.address)
    context = reader.tensors(ops[0].step)
    if "α" not in context:
        raise NetvizError(
            f"{reader.path}: {step.address}: this pass ends without an update (no α was "
            "recorded with it): use --what grad or weight"
        )
    alpha = float(context["α"])
    label = f"update −α·{dW} from {x} at epoch {step.epoch}"
    return Shown(-alpha * grad, layer, what, label, step.address, f"α = {alpha:g}")


def pass_steps(reader: TraceReader, step: Step) -> list[Step]:
    """The op steps of the example pass ``step`` belongs to, in order (the first holds x, y, W,
    b and α)."""
    return reader.pass_steps(step.epoch, step.example)


def weight_at(
    reader: TraceReader, ops: list[Step], step: Step, layer: int
) -> tuple[np.ndarray, Literal["pass", "step", "updated"]]:
    """(Wl as shown at ``step``, which it is): ``pass``, the pass's Wl; once the pass's update
    op has run, its output: ``step``, Wl′ = Wl − α·dWl, one step on this example alone (never
    applied), or ``updated``, Wl overwritten, as traces written before Wl′ was named apart hold.
    """
    W, stepped = f"W{layer}", one_step(f"W{layer}")
    update = next((s for s in ops if s.step <= step.step and {W, stepped} & set(s.outputs)), None)
    if update is not None:
        name = stepped if stepped in update.outputs else W
        return reader.tensors(update.step)[name], "step" if name == stepped else "updated"
    context = reader.tensors(ops[0].step)
    if W not in context:
        raise NetvizError(f"{reader.path}: {step.address}: the pass holds no {W}")
    return context[W], "pass"


# --- the input gradient ------------------------------------------------------------------------

NEEDS_AN_OP = (
    "--what input needs --at with an example's op address (like e0/x0/bwd/L1/dZ): each example "
    "has its own input gradient, and an epoch sums over all of them"
)


def input_at(
    reader: TraceReader,
    at: str | None,
    *,
    epoch: int | None = None,
    layer: int | None = None,
    output: int | None = None,
) -> Shown:
    """The input gradient of the example pass that holds op ``at`` (see :func:`pass_input`);
    a NetvizError for an epoch, no address, or a ``layer`` (the pixels belong to none)."""
    if layer is not None:
        raise NetvizError(
            "--what input is the gradient with respect to the pixels, which are no layer's "
            "weights: leave out --layer"
        )
    parts = None if at is None else parse_address(at)
    step = None if at is None or (parts and parts["example"] is None) else reader.step(at)
    if step is None or step.kind == "epoch":
        raise NetvizError(f"{reader.path}: {NEEDS_AN_OP}")
    return pass_input(reader, step, output)


def pass_input(reader: TraceReader, step: Step, output: int | None = None) -> Shown:
    """dC/dx = W1ᵀ·dZ1 (784, 1) of the pass that holds ``step``, from its recorded W1 and dZ1;
    with ``output`` = k, ∂ZL[k]/∂x, its dZ1 carried back from e_k through the recorded A and W."""
    arrays = pass_arrays(reader, step)
    d, x = input_symbol(reader, output), f"example {step.example}"
    if output is None:
        values = arrays["W1"].T @ arrays["dZ1"]  # (784, 1) = (784, 16)·(16, 1), as recorded
        label = f"{d} = W1ᵀ·dZ1: how each pixel of {x} moves its cost"
    else:
        values = score_gradient(reader, arrays, output)
        label = f"{d}: how each pixel of {x} moves digit {output}'s score (before softmax)"
    values.setflags(write=False)
    detail = input_detail(reader, arrays, values, output)
    return Shown(
        values, 0, "input", f"{label}, {weights_words(step.epoch, started_from(reader))}",
        step.address, detail,
        x=arrays["x"], output=output,
        x_words=digit_words(arrays, step.example, reader.example(step.example)[1] is not None,
                            own_digit_name(reader.meta, step.example)),
    )  # fmt: skip


def input_symbol(reader: TraceReader, output: int | None) -> str:
    """``∂C/∂x`` for the cost; ``∂Z3[7]/∂x`` for output 7's score (the logit ZL[k])."""
    return "∂C/∂x" if output is None else f"∂Z{layer_count(reader)}[{output}]/∂x"


def weights_words(epoch: int, start: str = "") -> str:
    """At which weights a pass was measured: ``at the weights after 6 epochs``; in a run begun
    from saved weights ``start`` (:func:`started_from`), ``… after 6 epochs from w.npz``."""
    if epoch == 0:
        return f"at the weights from {start}" if start else "at the initial weights"
    after = f"at the weights after {epoch} epoch{'s' if epoch != 1 else ''}"
    return f"{after} from {start}" if start else after


def weights_label(W: str, epoch: int, start: str = "") -> str:
    """A figure's name for weights ``W`` after ``epoch`` epochs: ``W1 after epoch 6``, ``W1 at
    initialisation``; from saved weights ``start``: ``W1 from w.npz``, ``… after epoch 6 from
    w.npz``."""
    if epoch == 0:
        return f"{W} from {start}" if start else f"{W} at initialisation"
    return f"{W} after epoch {epoch}" + (f" from {start}" if start else "")


def pass_arrays(reader: TraceReader, step: Step) -> dict[str, np.ndarray]:
    """Every array of ``step``'s pass up to its dZ1 op, as the pass used it (x, y, W, b, Z, A,
    ŷ, dZ, …: no update has touched W yet); a NetvizError when the pass holds no dZ1."""
    arrays: dict[str, np.ndarray] = {}
    ops = reader.pass_ops(step.epoch, step.example)
    for _, inputs, outputs, _theirs in ops:
        arrays.update(inputs)
        arrays.update(outputs)
        if "dZ1" in outputs:
            lost = [name for name in ("x", "W1") if name not in arrays]
            if lost:
                raise NetvizError(f"{reader.path}: {step.address}: the pass holds no {lost[0]}")
            return arrays
    end = f"it ends at {ops[-1][0].address}" if ops else "it holds no ops"
    raise NetvizError(
        f"{reader.path}: {step.address}: the pass has not reached dZ1 ({end}), and the input "
        "gradient W1ᵀ·dZ1 needs the backward pass through layer 1"
    )


def score_gradient(reader: TraceReader, arrays: dict[str, np.ndarray], output: int) -> np.ndarray:
    """∂ZL[output]/∂x (784, 1): the backward pass from dZL = e_k through the pass's recorded
    W and A (A's slope, as training takes it), then W1ᵀ·dZ1."""
    from ..core.network import Params
    from ..core.saliency import input_gradient_from

    L = layer_count(reader)
    names = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"] + [f"A{l}" for l in range(1, L)]
    lost = [name for name in [*names, YHAT] if name not in arrays]
    if lost:
        raise NetvizError(f"{reader.path}: the pass holds no {lost[0]}, which the score needs")
    classes = arrays[YHAT].shape[0]
    if not 0 <= output < classes:
        raise NetvizError(f"--output {output}: this network's outputs are 0–{classes - 1}")
    params = Params.from_named({n: arrays[n] for n in names if n[0] in "Wb"})
    cache = {"A0": arrays["x"], **{f"A{l}": arrays[f"A{l}"] for l in range(1, L)}}
    cache[f"A{L}"] = arrays[YHAT]
    return input_gradient_from(params, cache, trace_activation(reader), output=output)


def trace_activation(reader: TraceReader):
    """The hidden layers' :class:`~netviz.core.activations.Activation` the trace names."""
    from ..core.activations import activation

    name = reader.meta.get("activation")
    try:
        return activation(name)
    except ValueError:
        raise NetvizError(
            f"{reader.path}: the trace does not name its activation, so a score's gradient "
            "cannot be carried back through the hidden layers"
        ) from None


def input_detail(
    reader: TraceReader, arrays: dict[str, np.ndarray], values: np.ndarray, output: int | None
) -> str:
    """``x = raw pixels 0–255 · largest |∂C/∂x| 0.00388 · 14 of 16 layer-1 neurons
    saturated``: the unit, the scale and, where the trace names its activation, why it is
    small."""
    scaled = reader.meta.get("scale_pixels")
    parts = {True: ["x = pixel/255"], False: ["x = raw pixels 0–255"]}.get(scaled, [])
    d = input_symbol(reader, output)
    finite = np.abs(values[np.isfinite(values)])
    parts.append(f"largest |{d}| {finite.max():.3g}" if finite.size else f"{d} not finite")
    try:
        saturated = int(np.count_nonzero(trace_activation(reader).saturated(arrays["A1"])))
    except (NetvizError, KeyError):
        return " · ".join(parts)  # no activation named, or no A1: the count is left out
    n = arrays["A1"].size
    parts.append(
        f"all {n} layer-1 neurons saturated: almost no gradient reaches x"
        if saturated == n
        else f"{saturated} of {n} layer-1 neurons saturated"
    )
    return " · ".join(parts)


def digit_words(
    arrays: dict[str, np.ndarray], example: int, labelled: bool = True, name: str | None = None
) -> str:
    """``x: example 3, label 1, guessed 1 (97.2 %)``: the digit under an input gradient. A
    learner's own digit goes by the name the tour gave it (``x: my3.png (x300), label 3, …``);
    one stored without a label (``labelled`` False) says so: its y was the network's guess."""
    own = name is not None or not labelled
    words = f"x: {name or 'your digit'} (x{example})" if own else f"x: example {example}"
    if not labelled:
        words += ", no label: backprop used the guess"
    elif "y" in arrays:
        words += f", label {int(np.argmax(arrays['y']))}"
    if YHAT in arrays:
        yhat = arrays[YHAT].ravel()
        guess = int(np.argmax(yhat))
        words += f", guessed {guess} ({100 * float(yhat[guess]):.1f} %)"
    return words


# --- drawn -------------------------------------------------------------------------------------

CAPTIONS = {  # what a tile is, under a layer-1 figure
    "weight": "the {n} weights into one layer-{l} neuron",
    "grad": "the gradient of the {n} weights into one layer-{l} neuron",
    "update": "the change of the {n} weights into one layer-{l} neuron",
}


def heatmap_figure(reader: TraceReader, shown: Shown, limit: float | None = None):
    """The Figure of one ``Shown`` matrix: tiles or matrix, colorbar, a two-line title (an
    input gradient: its map beside the digit, see :func:`input_figure`)."""
    from .figures import is_image_layer, layer_figure

    if shown.what == "input":
        return input_figure(reader, shown, limit)

    return layer_figure(
        shown.values, shown.layer, heatmap_title(reader, shown), limit,
        caption=_caption(shown) if is_image_layer(shown.values) else "",
        rows_name=rows_name(reader, shown.layer),
    )  # fmt: skip


def rows_name(reader: TraceReader, layer: int) -> str:
    """What a matrix's rows are: neurons of layer l; the last layer's are the digits."""
    last = layer == layer_count(reader)
    return f"neuron of layer {layer}" + (" (the digit)" if last else "")


def input_figure(reader: TraceReader, shown: Shown, limit: float | None = None):
    """An input gradient's Figure: the digit, and the gradient as a 28×28 map over its outline
    (red: a brighter pixel raises the cost or score, blue: lowers it)."""
    from .figures import input_figure as draw

    of = "the cost" if shown.output is None else f"digit {shown.output}'s score"
    d = input_symbol(reader, shown.output)
    return draw(
        shown.values, shown.x, heatmap_title(reader, shown), limit, x_words=shown.x_words,
        bar_label=f"{d}: change of {of} per unit of x",
        caption=f"red: brightening the pixel raises {of}; blue: lowers it; white: no effect. "
        "Outline: the digit's ink (half its brightest pixel).",
    )  # fmt: skip


def heatmap_title(reader: TraceReader, shown: Shown) -> str:
    """``∂C/∂W1 = ΣdW1/m in epoch 12`` over ``run · e12 · layer 1 (16×784) · m = 3,000``."""
    if shown.what == "input":  # the detail is long: a line of its own
        return f"{shown.label}\n{run_name(reader)} · {shown.address}\n{shown.detail}"
    rows, cols = shown.values.shape
    where = [run_name(reader), shown.address, f"layer {shown.layer} ({rows}×{cols})"]
    return f"{shown.label}\n{' · '.join(where + ([shown.detail] if shown.detail else []))}"


def curves_figure(readers: list[TraceReader]):
    """Cost and accuracy per epoch of one or more runs, named by their files, on shared axes.

    Epoch e's metrics are measured at the weights it started from, after e − 1 epochs, so they
    are drawn at x = e − 1; the final figures (when the run recorded them) at the epochs it
    trained: one axis, "epochs trained before the measurement", for both.
    """
    from .figures import Curve
    from .figures import curves_figure as draw

    runs = []
    for reader, name in zip(readers, _run_labels(readers), strict=True):
        frame = reader.metrics()
        if frame.empty:
            raise NetvizError(f"{reader.path}: no epochs recorded, so there are no curves to draw")
        columns = [frame[c].to_numpy(dtype=float) for c in ("cost", "train_accuracy")]
        test = frame["test_accuracy"].to_numpy(dtype=float)  # NULL (no test set) reads as NaN
        f = reader.final()
        final = None if f is None else (f.epoch, f.cost, f.train_accuracy, f.test_accuracy)
        runs.append(Curve(name, frame.index.to_numpy() - 1, *columns, test, final))
    title = "cost and accuracy, each epoch's measured at the weights it started from" + (
        "; ◆ the final weights'" if any(run.final is not None for run in runs) else ""
    )
    if len(runs) > 1:
        return draw(runs, f"{title}\n{len(runs)} runs")
    return draw(runs, f"{title}\n{run_name(readers[0])}")


def _run_labels(readers: list[TraceReader]) -> list[str]:
    """File stems; with the folder too when two runs share a stem."""
    stems = [r.path.stem for r in readers]
    return [
        literal(
            f"{r.path.parent.name}/{r.path.stem}" if stems.count(r.path.stem) > 1 else r.path.stem
        )
        for r in readers
    ]


def _caption(shown: Shown) -> str:
    n = shown.values.shape[1]
    side = int(round(n**0.5))
    what = CAPTIONS[shown.what].format(n=n, l=shown.layer)
    return f"each tile: {what}, drawn as the {side}×{side} image"


def _words(what: str) -> str:
    return {"grad": "gradient", "update": "update"}.get(what, what)
