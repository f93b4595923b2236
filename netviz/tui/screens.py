"""The debugger's modal screens: the breakpoint and watch lists, and the gradient check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from ..core.gradcheck import MEASURABLE, ArrayCheck
from ..safe import markup

if TYPE_CHECKING:
    from ..session.live import Session


class ListScreen(ModalScreen[None]):
    """A list of the session's items (breakpoints or watches), changed in place by keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "delete", "Delete", tooltip="remove the highlighted one"),
        Binding("escape", "dismiss", "Close", tooltip="back to the tour"),
    ]
    TITLE = ""
    EMPTY = ""
    HINT = ""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(classes="debug-list"):
            yield OptionList()
            yield Static(self.HINT, classes="debug-hint")

    def on_mount(self) -> None:
        self.query_one(".debug-list").border_title = self.TITLE
        self.refill()

    def rows(self) -> list[Text]:
        raise NotImplementedError

    def refill(self, highlight: int | None = None) -> None:
        """Show the items again, keeping the highlight where it was."""
        options = self.query_one(OptionList)
        rows = self.rows()
        options.clear_options()
        if not rows:
            options.add_option(Option(Text(self.EMPTY, "dim"), disabled=True))
            return
        options.add_options(rows)
        options.highlighted = min(highlight or 0, len(rows) - 1)

    @property
    def current(self) -> int | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        return index if index is not None and index < len(self.rows()) else None

    def action_delete(self) -> None:
        index = self.current
        if index is not None:
            self.forget(index)
            self.refill(index)

    def forget(self, index: int) -> None:
        raise NotImplementedError


class BreakpointsScreen(ListScreen):
    """The breakpoints, each enabled or not, with the epochs where it fired."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Enable / disable", tooltip="turn the highlighted one on/off"),
        *ListScreen.BINDINGS,
    ]
    TITLE = "breakpoints"
    EMPTY = "no breakpoints: b adds one"
    HINT = "space or enter enables / disables · d deletes · escape closes"

    def rows(self) -> list[Text]:
        rows = []
        for bp in self.session.breakpoints:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append("● on  " if bp.enabled else "○ off ", "bold" if bp.enabled else "dim")
            text.append(bp.text, "" if bp.enabled else "dim")
            # where it fired: e1 for an epoch, e1/x0/fwd/L1/A for an op of a pass in epoch 1
            hits = [h for h in self.session.hits if h.condition == bp.text]
            epochs = [h.address or f"e{h.epoch}" for h in hits]
            shown = ", ".join(epochs[:8]) + (" …" if len(epochs) > 8 else "")
            text.append(f"   hits: {shown}" if epochs else "   no hits yet", "italic")
            rows.append(text)
        return rows

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()

    def action_toggle(self) -> None:
        index = self.current
        if index is not None:
            self.session.toggle_breakpoint(index)
            self.refill(index)

    def forget(self, index: int) -> None:
        self.session.remove_breakpoint(index)


class WatchesScreen(ListScreen):
    """The watch expressions; d removes one."""

    TITLE = "watches"
    EMPTY = "no watches: w adds one"
    HINT = "d deletes · escape closes"

    def rows(self) -> list[Text]:
        return [Text(w.text, no_wrap=True, overflow="ellipsis") for w in self.session.watches]

    def forget(self, index: int) -> None:
        self.session.remove_watch(index)


def verdict(arrays: Sequence[ArrayCheck]) -> str:
    """One line: does backprop agree with the differences, and on how much?"""
    entries = [c for a in arrays for c in a.entries]
    if not entries:
        return "nothing to check"
    differ = [c for a in arrays for c in a.checks if c.status == "differs"]
    if differ:
        total = sum(len(a.checks) for a in arrays)
        return (
            f"backprop is wrong: {len(differ)} of {total} checks differ from central "
            f"differences by more than their noise"
        )
    agree = sum(c.status == "agrees" for c in entries)
    unconfirmed = [a for a in arrays if not a.passed]
    if unconfirmed:
        names = " and ".join(a.name for a in unconfirmed)
        cause = next((a.cause for a in unconfirmed if a.cause), "")
        return (
            f"not confirmed: {names} {'has' if len(unconfirmed) == 1 else 'have'} too few "
            f"entries large enough to measure at these weights" + (f". {cause}" if cause else "")
        )
    if agree == len(entries):
        return f"all {agree} entries agree: backprop matches central differences"
    return (
        f"all {agree} measurable entries agree: backprop matches central differences "
        f"({len(entries) - agree} too small to measure, not counted)"
    )


def array_line(a: ArrayCheck) -> Text:
    """One array in a line: ✓/✗, how many checked entries were measurable, what became of them."""
    n, agree = len(a.entries), a.count("agrees")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'✓' if a.passed else '✗'} {a.name:<3} ", "bold" if a.passed else "bold red")
    if a.verdict == "differs":
        text.append(f"backprop is wrong: {a.count('differs')} of {n} checked entries differ")
    elif a.verdict == "unverified":
        text.append(f"not confirmed: {agree} of {n} checked entries measurable, {a.needed} needed")
    else:
        text.append(f"{agree} of {n} checked entries measurable, all agree")
    parts = [f"{a.count(s)} {s}" for s in ("too small", "kink") if a.count(s)]
    if a.direction is not None:
        parts.append(f"random direction {RESULT[a.direction.status].lstrip('✓✗ ')}")
    text.append("".join(f" · {p}" for p in parts), "dim")
    return text


RESULT = {"agrees": "✓ agrees", "differs": "✗ differs", "too small": "too small", "kink": "kink"}
ORDER = {"differs": 0, "agrees": 1, "kink": 2, "too small": 3}  # what tells most comes first


class GradCheckScreen(ModalScreen[None]):
    """Backprop's gradients against central differences: a verdict, one line per array (how
    many entries were measurable and agree), and every comparison made, most telling first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", tooltip="back to the tour"),
        Binding("v", "dismiss", "Close", tooltip="back to the tour"),
    ]

    def __init__(self, arrays: Sequence[ArrayCheck], where: str) -> None:
        super().__init__()
        self.arrays, self.where = list(arrays), where
        self.checks = [c for a in self.arrays for c in a.checks]

    def compose(self) -> ComposeResult:
        with Vertical(id="gradcheck"):
            ok = all(a.passed for a in self.arrays)
            yield Static(verdict(self.arrays), id="verdict", classes="-ok" if ok else "-bad")
            for a in self.arrays:
                yield Static(array_line(a), classes="gradcheck-array")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(self.noise_text(), classes="debug-hint")

    def noise_text(self) -> str:
        """What "noise" and "measurable" mean here, with this check's numbers."""
        noise = self.arrays[0].noise if self.arrays else 0.0
        return (
            f"noise ν = {noise:.1e}: rounding in the costs moves the differences by up to ν; "
            f"below it a value is rounding, not signal. measurable: ≥ {MEASURABLE:g}·ν. "
            f"kink: relu's corner within the step. escape closes"
        )

    def on_mount(self) -> None:
        self.query_one("#gradcheck").border_title = f"gradient check · {markup(self.where)}"
        table = self.query_one(DataTable)
        table.add_columns("entry", "chosen", "backprop", "differences", "rel. error", "result")
        for c in sorted(self.checks, key=lambda c: ORDER[c.status]):
            table.add_row(
                c.entry,
                c.chosen,
                f"{c.analytic:+.6e}",
                f"{c.numeric:+.6e}",
                c.shown_error,
                RESULT[c.status],
            )
