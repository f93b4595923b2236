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
- update: −α·dW, the single-example update (the pass must end in an update, with α).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..core.steps import one_step
from ..errors import NetvizError
from ..safe import literal
from ..trace import Step, TraceReader, parse_address

What = Literal["grad", "weight", "update"]


@dataclass(frozen=True)
class Shown:
    """One layer's matrix as a heatmap shows it: ``values`` (n_l, n_{l−1}) and its words."""

    values: np.ndarray
    layer: int
    what: What
    label: str  # what the matrix is: "∂C/∂W1 = ΣdW1/m in epoch 12"
    address: str  # where: "e12" or "e3/x17/bwd/L1/dW"
    detail: str = ""  # m and α, when they matter


# --- where -------------------------------------------------------------------------------------


def run_name(reader: TraceReader) -> str:
    """The trace's file stem, with its preset when the file says: ``seed-2026… (seed preset)``."""
    preset = reader.meta.get("preset")
    name = preset.get("name") if isinstance(preset, dict) else preset
    stem = literal(reader.path.stem)  # a file's name: shown, never obeyed
    return f"{stem} ({literal(name)} preset)" if isinstance(name, str) else stem


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
    """``epoch`` if the trace has what ``what`` needs of it (epoch 0 only has weights)."""
    if epoch == 0:
        if what != "weight":
            raise NetvizError(
                f"{reader.path}: epoch 0 is the initial weights, before any gradient: "
                "ask for epoch 1 or later, or --what weight"
            )
        return 0
    epochs = reader.epochs()
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
    """``<trace stem>_e12_L1_grad.png``: the run, the address, the layer and what is shown."""
    return f"{reader.path.stem}_{file_part(shown.address)}_L{shown.layer}_{shown.what}{suffix}"


# --- what --------------------------------------------------------------------------------------


def shown_at(
    reader: TraceReader,
    *,
    at: str | None = None,
    epoch: int | None = None,
    layer: int | None = None,
    what: What = "grad",
) -> Shown:
    """The matrix a heatmap draws: at an address, at an epoch, or (neither) at the last epoch.

    ``layer`` None means the layer of the op at ``at``, or 1.
    """
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
        label = f"{W} at initialisation" if epoch == 0 else f"{W} after epoch {epoch}"
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


# --- drawn -------------------------------------------------------------------------------------

CAPTIONS = {  # what a tile is, under a layer-1 figure
    "weight": "the {n} weights into one layer-{l} neuron",
    "grad": "the gradient of the {n} weights into one layer-{l} neuron",
    "update": "the change of the {n} weights into one layer-{l} neuron",
}


def heatmap_figure(reader: TraceReader, shown: Shown, limit: float | None = None):
    """The Figure of one ``Shown`` matrix: tiles or matrix, colorbar, a two-line title."""
    from .figures import is_image_layer, layer_figure

    return layer_figure(
        shown.values, shown.layer, heatmap_title(reader, shown), limit,
        caption=_caption(shown) if is_image_layer(shown.values) else "",
        rows_name=rows_name(reader, shown.layer),
    )  # fmt: skip


def rows_name(reader: TraceReader, layer: int) -> str:
    """What a matrix's rows are: neurons of layer l; the last layer's are the digits."""
    last = layer == layer_count(reader)
    return f"neuron of layer {layer}" + (" (the digit)" if last else "")


def heatmap_title(reader: TraceReader, shown: Shown) -> str:
    """``∂C/∂W1 = ΣdW1/m in epoch 12`` over ``run · e12 · layer 1 (16×784) · m = 3,000``."""
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
