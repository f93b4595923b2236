"""Follow a learner's script op by op and find the first value that parts from the rules.

The checker is fed each recognised assignment in the order the script makes them
(:mod:`.script`). From the shapes it learns the layout (one column per example, or one row) and
the form (one example per pass with gradients summed over a loop, or the whole batch at once).
Every op is checked by :class:`~.reference.Pass` from the learner's own inputs; a gradient may be
the pass's own, its mean over a batch, or a running sum over the epoch; a W that changes after
the passes began is an epoch's update, checked against W − α·ΣdW/m with the rule's sum over the
epoch. The first difference ends the run (:class:`~.script.StopScript`), with the catalogue's
mistake that reproduces it, if one does; so does the K-th update.
"""

from __future__ import annotations

import numpy as np

from ..core.activations import Activation
from . import bulk
from .data import LearnerData
from .mistakes import Mistake, Update, diagnose
from .names import split
from .outcome import CheckFailed, Difference, Summary, rerun
from .reference import (
    HIDDEN,
    Pass,
    agrees,
    all_examples,
    as_array,
    closeness,
    is_one_hot,
    relative,
    rule_text,
)
from .script import Assigned, StopScript
from .worked import worked

Array = np.ndarray
PER_PASS = ("Z", "A", "y", "yhat", "dZ", "dA", "dW", "db")
FULL = 8  # passes of each epoch checked op by op; the rest are kept and checked in bulk


class Checker:
    """Feed it every recognised assignment with :meth:`see`; it raises StopScript when it has
    checked ``epochs`` updates or found the first difference (:attr:`difference`)."""

    def __init__(self, epochs: int = 2, record: bool = False) -> None:
        self.epochs = epochs
        self.recorded: list[tuple[int, Pass]] | None = [] if record else None  # (epoch, pass)
        self.summary = Summary()
        self.difference: Difference | None = None
        self.failure: str | None = None
        self.weights: dict[str, Array] = {}  # theirs, as they are now
        self.initial: dict[str, Array] = {}  # theirs, before the first pass
        self.data = LearnerData()  # their X, labels and layout
        self.alpha: float | None = None
        self.alphas: list[float] = []  # each epoch's α, as its update used it
        self.trail: list[dict[str, Array]] = []  # theirs after each epoch
        self.m: int | None = None
        self.index: int | None = None  # the loop index, as last assigned
        self.hidden: list[Activation] = list(HIDDEN)  # those their A agreed with so far
        self.dtype = np.dtype(np.float64)
        self.epoch = 0  # updates completed
        self.passes = 0  # training passes closed in this epoch
        self.current: Pass | None = None
        self.pending: dict[str, tuple[Array, Assigned]] = {}  # x, y, label before the pass's Z1
        self.width = 1  # examples in the current pass
        self.sums: dict[str, Array] = {}  # the rule's ΣdW and Σdb over the epoch's passes
        self.last: dict[str, Array] = {}  # the last closed pass's own dW and db
        self.accumulated: dict[str, Array] = {}  # their running sums, as last seen
        self.before: dict[str, Array] = {}  # their running sums at the last update
        self.updated: set[str] = set()
        self.examples: list[int] = []  # the first epoch's examples, in order
        self._seen: dict[tuple[str, str], tuple[object, Array]] = {}
        self._magnitudes: dict[str, tuple[Array, Array]] = {}  # |W|, kept across passes
        self.kept = bulk.Kept()
        self.kept_sums: dict[str, Array] = {}  # their running sums, as last seen in kept passes
        self.kept_own: dict[str, tuple[Array, Assigned]] = {}  # Σ of their own, in kept passes
        self.forms: dict[str, int] = {}  # each gradient's form: 0 its own, 1 a running sum
        self.assigned: dict[str, tuple[str, int]] = {}  # each weight's last (variable, line)
        self.other_width = 0  # the columns of the last forward pass over other data
        self.new_X = False  # X was given again, other examples, after training began

    # --- feeding -----------------------------------------------------------------------------
    def see(self, a: Assigned) -> None:
        """Take one assignment; StopScript ends the script (done, a difference, or a failure)."""
        try:
            self._see(a)
        except CheckFailed as failed:
            self.failure = str(failed)
            raise StopScript from None
        except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as error:
            # Shapes netviz did not foresee: say so, rather than pass it off as their error.
            self.failure = f"netviz could not follow {a.variable} (line {a.line}): {error}"
            raise StopScript from None

    def _see(self, a: Assigned) -> None:
        value = as_array(a.value)
        if value is None or self._repeat(a, value):
            return
        if value.dtype == np.float32:
            self.dtype = value.dtype
        value = value.astype(np.float64, copy=False)
        kind, l = split(a.name)
        if value.ndim > 2 or (value.ndim == 0 and kind in ("Z", "A", "yhat", "dZ", "dA", "x")):
            return  # a number or a cube under a layer's name: not one of its arrays
        if kind == "W" and value.ndim != 2:
            return
        if kind in ("Z", "A", "yhat", "dZ", "dA") and not value.any():
            return  # a placeholder (np.zeros) before the value is made
        if kind == "y" and value.size and not np.isin(value, (0.0, 1.0)).all():
            kind, a.name = "yhat", "yhat"  # y written for the prediction: not one-hot
        if kind in ("W", "b"):
            self._weight(a, kind, l, value)
        elif kind == "X" and value.ndim == 2:
            if self.summary.ops and self.data.X is not None:
                self.new_X = True  # training began on another X: another set, or mini-batches
            self.data.set_X(value)
        elif kind in ("labels", "y") and all_examples(value):
            self.data.set_labels(value)
        elif kind == "labels" and value.ndim == 0 and float(value).is_integer():
            self.pending["label"] = (value, a)  # one example's digit
        elif kind == "alpha" and value.ndim == 0:
            self.alpha = float(value)
        elif kind == "m" and value.ndim == 0 and float(value).is_integer():
            self.m = int(value)
        elif kind == "index" and value.ndim == 0 and float(value).is_integer():
            self.index = int(value)
        elif kind == "x" or (kind == "y" and (self.current is None or self.current.trained)):
            self.pending[kind] = (self.data.columns(kind, value), a)  # for the next pass
        elif kind in PER_PASS:
            self._op(a, kind, l, value)

    def _repeat(self, a: Assigned, value: Array) -> bool:
        """The same object under the same name with the same value: a function's result,
        received by its caller (an object changed in place, like ``dw1 += …``, is new)."""
        key = (a.variable, a.name)
        before = self._seen.get(key)
        self._seen[key] = (a.value, value)
        return (
            before is not None
            and before[0] is a.value
            and before[1].shape == value.shape
            and np.array_equal(before[1], value, equal_nan=True)
        )

    # --- layout and data ---------------------------------------------------------------------
    # --- weights and updates -----------------------------------------------------------------
    def _weight(self, a: Assigned, kind: str, l: int, value: Array) -> None:
        self.assigned[a.name] = (a.variable, a.line)
        if not self.summary.ops and self.current is None:  # before the first pass: the start
            if kind == "W" and l == 1 and value.ndim == 2:
                self.data.first_weights(value)
            value = self.data.columns(kind, value)
            self.weights[a.name] = self.initial[a.name] = value
            return
        value = self.data.columns(kind, value)
        before = self.weights.get(a.name)
        if before is None or before.shape != value.shape:
            raise CheckFailed(f"{a.variable} (line {a.line}) changed shape to {value.shape}")
        self._update(a, kind, l, before, value)

    def _update(self, a: Assigned, kind: str, l: int, before: Array, after: Array) -> None:
        self._close_pass()
        self._check_kept()
        grad = f"d{kind}{l}"
        if grad not in self.sums:
            raise CheckFailed(f"{a.variable} changed at line {a.line} before any gradient was made")
        X = self.data.X
        m = self.width if self.summary.mode == "batch" else self.passes  # the examples summed
        size = self.m or (X.shape[1] if X is not None else m)  # what the epoch's loop covers
        size = size if self.summary.mode == "example" else 1  # one batch pass an epoch
        total = self.sums[grad]
        alpha = self.alpha if self.alpha is not None else self._infer_alpha(before, after, total, m)
        last = self.last.get(grad, total)
        update = Update(before, total, last, alpha, m, self.m, self.passes, size)
        rule = f"{a.name} ← {a.name} − α·Σ{grad}/m, α = {alpha:g}, m = {m:,} examples summed"
        if self.summary.mode == "example" and self.passes < size:
            rule += f" (it changed after {m:,} of the loop's {size:,})"
        self._check(a, f"e{self.epoch + 1}", after, before - alpha * total / m, None, rule, update)
        self.weights[a.name] = after
        self.updated.add(a.name)
        if self.updated >= set(self.initial):
            self._next_epoch()

    def _check_kept(self) -> None:
        """The epoch's kept passes, all at once: the first difference, as the op-by-op check
        would have found it; else their gradients join the epoch's sums."""
        if not self.kept.passes:
            return
        kept, self.kept = self.kept, bulk.Kept()
        L = kept.passes[0].layers
        found, sums, checked = bulk.check(
            kept, self.weights, L, self.hidden[0], self.dtype, self._magnitudes
        )
        self.summary.ops += checked
        if found is not None:
            alone = found.alone
            variable, line = alone.lines.get(found.name, kept.where[found.name])
            got = alone.theirs[found.name]
            for name in [n for n in alone.theirs if kept.order[n] >= kept.order[found.name]]:
                del alone.theirs[name]  # their inputs to the op, not what came after
            alone._expected.clear()
            alone.kept, self.current = False, alone
            expected, _ = alone.expected(found.name)
            kind, l = split(found.name)
            a = Assigned(found.name, variable, got, line)
            self._found(
                a, self._address(kind, l), got, expected, rule_text(found.name, alone), None
            )
        for name, (total, a) in self.kept_own.items():  # their own gradients, summed
            if not agrees(np.asarray(total), sums[name], sums["|" + name], self.dtype):
                self.current = kept.passes[-1]
                rule = f"Σ {name} over the epoch's later {len(kept.passes):,} examples"
                kind, l = split(name)
                self._found(a, self._address(kind, l), total, sums[name], rule, None)
        self.kept_own = {}
        for g, total in sums.items():
            self.sums[g] = self.sums[g] + total if g in self.sums else total
        for name, (value, a) in self.kept_sums.items():  # their running sums, at the end
            if not agrees(value, self.sums[name], self.sums["|" + name], self.dtype):
                self.current = kept.passes[-1]
                kind, l = split(name)
                rule = f"{name} summed over the epoch's {self.passes:,} examples"
                self._found(a, self._address(kind, l), value, self.sums[name], rule, None)
            self.accumulated[name] = value
        self.kept_sums = {}

    def _never_updated(self, size: int) -> None:
        """More examples went by than X holds, and no W changed: the update is missing."""
        variable, line = self.assigned.get("W1", ("W1", 0))
        W1, total = self.weights["W1"], self.sums["dW1"]
        alpha = self.alpha or 0.0
        expected = W1 - alpha * total / self.passes
        update = Update(W1, total, total, alpha, self.passes, self.m, self.passes, size)
        rule = f"W1 ← W1 − α·ΣdW1/m once an epoch: {self.passes:,} examples went by (X has "
        rule += f"{size:,}) and W1 never changed"
        self.current = None
        a = Assigned("W1", variable, W1, line)
        self._found(a, f"e{self.epoch + 1}", W1, expected, rule, update)

    def flush(self) -> None:
        """Check what is kept (the script ended or crashed mid-epoch)."""
        if self.difference is not None or self.failure is not None:
            return
        try:
            self._close_pass()
            self._check_kept()
        except StopScript:
            pass

    def _infer_alpha(self, before: Array, after: Array, total: Array, m: int) -> float:
        step = total / m
        big = np.abs(step) >= 0.5 * np.abs(step).max()
        alpha = float(np.median((before - after)[big] / step[big])) if big.any() else 0.0
        self.summary.notes.append(f"α was not in a variable: {alpha:g}, read from the update")
        self.alpha = alpha
        return alpha

    def _next_epoch(self) -> None:
        self.alphas.append(self.alpha)
        self.trail.append(dict(self.weights))
        self.before = dict(self.accumulated)
        self.epoch += 1
        self.summary.epochs = self.epoch
        self.passes, self.sums, self.last, self.updated = 0, {}, {}, set()
        self.current = None
        if self.epoch >= self.epochs:
            raise StopScript

    # --- passes and their ops ----------------------------------------------------------------
    def _op(self, a: Assigned, kind: str, l: int, value: Array) -> None:
        L = sum(1 for w in self.weights if w.startswith("W"))
        if kind == "yhat":
            kind, l = "A", L
        value = self.data.columns(kind, value)
        if kind == "Z" and l == 1:
            self._open_pass(value, L)
        p = self.current
        X = self.data.X
        if kind == "dZ" and X is not None and (self.new_X or p is None and self.other_width):
            raise CheckFailed(  # gradients of another X than the first epoch's: mini-batches
                f"{a.variable} (line {a.line}) is a gradient over other examples than the first "
                "epoch's X: mini-batch descent, or a new data set; netviz check follows a loop "
                "over single examples or the whole batch at once, the same examples each epoch"
            )
        if p is None and kind in ("dW", "db"):
            return  # a running sum set to 0 before the epoch's first pass
        if p is None or kind in ("Z", "A", "dZ", "dA", "y") and value.shape[-1] != p.width:
            self.summary.ignored += 1  # another set's forward pass (an accuracy check, say)
            return
        name = "y" if kind == "y" else f"{kind}{l}"
        if p.kept:
            self._keep(a, p, kind, name, value)
            return
        if kind == "y":
            self._one_hot(a, value)
            return
        if kind in ("dW", "db"):
            self._gradient(a, name, value)
            return
        if kind == "A" and l < L and not self._choose_hidden(value, p.get(f"Z{l}")):
            rule = f"A{l} = f(Z{l}) with f one of σ(Z), σ(Z − 1e−5), tanh, relu: none gives yours"
            self._check(a, self._address(kind, l), value, p.expected(name)[0], None, rule, None)
        try:
            expected, scale = p.expected(name)
        except LookupError as missing:
            raise CheckFailed(
                f"{missing}: keep the labels in a variable, or name it with --names"
            ) from None
        self._check(
            a,
            lambda: self._address(kind, l),
            value,
            expected,
            scale,
            lambda: rule_text(name, p),
            None,
        )
        p.keep(name, value)
        p.trained |= kind in ("dZ", "dA")

    def _keep(self, a: Assigned, p: Pass, kind: str, name: str, value: Array) -> None:
        """A value of a kept pass: stored, checked with the epoch's other kept passes."""
        if kind in ("dW", "db"):
            p.trained = True
            if self.forms.get(name) == 0:  # each pass's own: their sum is checked at the end
                total = self.kept_own.get(name, (0.0, a))[0]
                self.kept_own[name] = (total + value, a)
            else:
                self.kept_sums[name] = (value, a)
            return
        p.theirs[name] = value
        p.lines[name] = (a.variable, a.line)
        self.kept.note(name, a.variable, a.line)
        p.trained |= kind in ("dZ", "dA")

    def _open_pass(self, Z1: Array, L: int) -> None:
        self._close_pass()
        if not L or "W1" not in self.weights:
            raise CheckFailed("no weights (W1 …) were assigned before the first Z1")
        if not self.summary.mode:
            self.summary.mode = "example" if Z1.shape[1] == 1 else "batch"
            self.summary.layout = self.data.layout or "col"
        X = self.data.X
        if self.summary.mode == "example" and Z1.shape[1] == 1:
            found = self._example_input(Z1, X)
            if found is None:  # an example not in X (a test set's): other data
                self.current = None
                return
            x, example = found
        elif self.summary.mode == "example":
            self.current = None  # a whole-set forward pass (an accuracy check): other data
            return
        elif X is not None and X.shape[1] == Z1.shape[1]:
            x, example = X, 0
        else:
            self.current = None  # a forward pass over other data: not checked
            self.other_width = Z1.shape[1]
            return
        labels = (
            None if self.data.labels is None else self.data.labels[example : example + x.shape[1]]
        )
        label = self.pending.pop("label", None)
        if labels is None and label is not None and x.shape[1] == 1:
            labels = np.array([int(label[0])])
        self.current = Pass(dict(self.weights), x, labels, L, self.hidden[0], example)
        self.current.magnitudes = self._magnitudes
        self.current.kept = self.summary.mode == "example" and self.passes >= FULL
        self.width = x.shape[1]
        y = self.pending.pop("y", None)
        if y is not None and y[0].shape[-1] == x.shape[1]:
            if self.current.kept:
                self._keep(y[1], self.current, "y", "y", y[0])
            else:
                self._one_hot(y[1], y[0])

    def _one_hot(self, a: Assigned, y: Array) -> None:
        """Their one-hot y: checked against the labels, or the labels when there are none."""
        p = self.current
        if p.labels is None and is_one_hot(y):
            p.labels = y.argmax(axis=0)
            note = "labels read from the one-hot y (so y itself is unchecked)"
            if note not in self.summary.notes:
                self.summary.notes.append(note)
        elif p.labels is not None:
            expected, _ = p.expected("y")
            self._check(a, self._address("y", 0), y, expected, None, "y = one-hot(label)", None)
        p.keep("y", y)

    def _example_input(self, Z1: Array, X: Array | None) -> tuple[Array, int] | None:
        """The pass's example (x, its index in X); None when x is not one of X's columns."""
        x = self.pending.pop("x", (None,))[0]
        if x is not None:
            found = self.data.column_of(x)
            if found is None and X is not None:
                return None
            return x, self.passes if found is None else found
        if X is None:
            raise CheckFailed("neither x (one example's pixels) nor X (every example) was found")
        W1, b1 = self.weights["W1"], self.weights.get("b1", 0)
        options = [i for i in (self.index, self.passes) if i is not None and 0 <= i < X.shape[1]]
        for i in options:
            column = X[:, i : i + 1]
            if np.allclose(W1 @ column + np.reshape(b1, (-1, 1)), Z1) or np.allclose(
                W1 @ column, Z1
            ):
                return column, i
        raise CheckFailed(
            "which example Z1 was made from is not clear: keep it in a variable x, or name the "
            "loop's index with --names (e.g. --names col=index)"
        )

    def _close_pass(self) -> None:
        """Add a finished training pass's gradients (the rule's) to the epoch's sums."""
        p, self.current = self.current, None
        if p is None or not p.trained:
            return
        if self.recorded is not None and not p.kept and p not in (q for _, q in self.recorded):
            self.recorded.append((self.epoch, p))  # checked op by op: its values go in a trace
        if p.kept:
            self.kept.passes.append(p)
        for l in range(1, p.layers + 1 if not p.kept else 1):
            for g in (f"dW{l}", f"db{l}"):
                own, scale = p.expected(g)
                scale = np.abs(own) if scale is None else scale  # one example: nothing cancels
                self.last[g] = own
                for key, value in ((g, own), ("|" + g, scale)):  # Σ, and Σ of magnitudes
                    self.sums[key] = self.sums[key] + value if key in self.sums else value
        self.passes += 1
        if len(self.kept.passes) >= bulk.CHUNK:  # memory stays bounded: check these now
            self._check_kept()
        X = self.data.X
        if self.summary.mode == "example" and X is not None and self.passes > X.shape[1]:
            self._never_updated(X.shape[1])
        if self.epoch == 0:
            self.examples.append(p.example)
            self.summary.examples = len(self.examples) * p.width

    def _gradient(self, a: Assigned, name: str, value: Array) -> None:
        """dW or db: the pass's own, its mean over the batch, or their running sum."""
        p = self.current
        p.trained = True
        own, scale = p.expected(name)
        running = self.sums[name] + own if name in self.sums else own
        magnitude = np.abs(own) if scale is None else scale
        running_scale = self.sums["|" + name] + magnitude if name in self.sums else magnitude
        forms = [(own, scale), (running, running_scale)]
        if p.width > 1:  # a batch's gradient may be its mean
            forms += [(own / p.width, scale / p.width)]
            if self.m:
                forms.append((own / self.m, scale / self.m))
        with np.errstate(invalid="ignore", over="ignore"):
            fits = [(closeness(value, e, s, self.dtype), k) for k, (e, s) in enumerate(forms)]
        fits = [(close, k) for close, k in fits if close is not None]
        if fits:  # the form it is closest to (a tiny earlier gradient blurs own and running)
            close, k = min(fits)
            self.summary.ops += 1
            self.summary.largest = max(self.summary.largest, close)
            if k == 1:
                self.accumulated[name] = value
            if k == 0:  # the pass's own gradient: comparable in a trace
                p.own[name] = value
            self.forms[name] = k
            return
        if self.forms.get(name) == 1:  # a running sum until now: its rule is the running sum
            own, scale = running, running_scale
        self._check(a, self._address(*split(name)), value, own, scale, rule_text(name, p), None)

    def _choose_hidden(self, A: Array, Z: Array) -> bool:
        """Keep the activations whose rule gives their A; False when none does."""
        with np.errstate(over="ignore", invalid="ignore"):
            fits = [h for h in self.hidden if agrees(A, h.forward(Z), None, self.dtype)]
        if fits:
            self.hidden = fits
            self.current.hidden = fits[0]
            self.summary.hidden = " or ".join(h.name for h in fits)  # float32 may not tell
        return bool(fits)

    def _address(self, kind: str, l: int) -> str:
        p = self.current
        where = f"e{self.epoch}/" + (f"x{p.example}" if self.summary.mode == "example" else "batch")
        if kind == "y":
            return f"{where}/y"
        if kind == "dA":
            return f"{where}/bwd/L{l + 1}/dA"
        return f"{where}/{'fwd' if kind in ('Z', 'A') else 'bwd'}/L{l}/{kind}"

    # --- the end ---------------------------------------------------------------------------
    def finish(self) -> tuple[float, int] | None:
        """After the script: each epoch again by netviz's own trainer code (the core's full-batch
        gradients and update), one epoch from their weights at its start, on the examples they
        used (:func:`~.outcome.rerun`). (The largest relative difference from their weights after
        it, the epoch it is in), or None when there is nothing to compare (no update, or no X)."""
        self.flush()
        X = self.data.X
        if not self.epoch or X is None or self.data.labels is None or self.difference:
            return None
        columns = sorted(self.examples) if self.summary.mode == "example" else range(self.width)
        X_used, labels = X[:, columns], self.data.labels[list(columns)]
        starts = [self.initial, *self.trail[:-1]]
        ends = rerun(starts, X_used, labels, self.hidden[0], self.alphas)
        off = [
            max(relative(theirs[k], v) for k, v in end.items())
            for theirs, end in zip(self.trail, ends, strict=True)
        ]
        worst = max(range(len(off)), key=off.__getitem__)
        return off[worst], worst + 1

    # --- comparing ---------------------------------------------------------------------------
    def _check(self, a, address, got, expected, scale, rule, update: Update | None) -> None:
        """``address`` and ``rule`` may be callables: made only for a difference (speed)."""
        self.summary.ops += 1
        with np.errstate(invalid="ignore", over="ignore"):
            close = closeness(got, expected, scale, self.dtype)
        if close is not None:
            if close > self.summary.largest:
                self.summary.largest = close
            return
        address = address() if callable(address) else address
        self._found(a, address, got, expected, rule() if callable(rule) else rule, update)

    def _found(self, a, address, got, expected, rule, update: Update | None) -> None:
        mistake, worked_out = self._mistake(a, got, update), ()
        if mistake is None and got.shape == expected.shape and got.ndim:
            with np.errstate(invalid="ignore"):
                diff = np.nan_to_num(np.abs(got - expected), nan=np.inf)
            index = np.unravel_index(int(np.argmax(diff)), got.shape)
            try:
                worked_out = tuple(worked(a.name, self.current, tuple(map(int, index)), update))
            except (KeyError, LookupError, ValueError, IndexError):
                worked_out = ()  # a value it cannot take apart: the rule line says enough
        self.difference = Difference(
            address, a.variable, a.line, got, expected, rule, mistake, worked_out
        )
        p = self.current
        if self.recorded is not None and p is not None and update is None:
            p.own[a.name] = got  # the value that differs, beside the pass's others
            if p not in (q for _, q in self.recorded):
                self.recorded.append((self.epoch, p))
        raise StopScript

    def _mistake(self, a: Assigned, got: Array, update: Update | None) -> Mistake | None:
        """The first catalogued mistake whose wrong rule reproduces ``got``."""
        sums = self.sums.get(a.name, 0)
        return diagnose(
            a.name, got, self.current, update, self.before.get(a.name), sums, self.dtype
        )
