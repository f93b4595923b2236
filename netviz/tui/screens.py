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

from ..core.gradcheck import TOLERANCE, Check

if TYPE_CHECKING:
    from ..session import Session


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
            epochs = [f"e{h.epoch}" for h in self.session.hits if h.condition == bp.text]
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


def verdict(checks: Sequence[Check]) -> str:
    """One line: do backprop and the difference quotient agree?"""
    bad = sum(not c.ok for c in checks)
    if not checks:
        return "nothing to check"
    if bad == 0:
        return (
            f"all {len(checks)} entries agree: backprop matches central differences "
            f"(relative error < {TOLERANCE:g}, or within the quotient's own rounding noise)"
        )
    return f"{bad} of {len(checks)} entries differ: backprop and central differences disagree"


class GradCheckScreen(ModalScreen[None]):
    """Backprop's gradients against central differences, entry by entry, with a verdict."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", tooltip="back to the tour"),
        Binding("v", "dismiss", "Close", tooltip="back to the tour"),
    ]

    def __init__(self, checks: Sequence[Check], where: str) -> None:
        super().__init__()
        self.checks, self.where = list(checks), where

    def compose(self) -> ComposeResult:
        with Vertical(id="gradcheck"):
            ok = all(c.ok for c in self.checks)
            yield Static(verdict(self.checks), id="verdict", classes="-ok" if ok else "-bad")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static("escape closes", classes="debug-hint")

    def on_mount(self) -> None:
        self.query_one("#gradcheck").border_title = f"gradient check · {self.where}"
        table = self.query_one(DataTable)
        table.add_columns("entry", "analytic", "numeric", "rel. error", "ok")
        for c in self.checks:
            entry = f"d{c.name}[{', '.join(map(str, c.index))}]"
            mark = "✓" if c.ok else "✗ differs"
            table.add_row(
                entry, f"{c.analytic:+.6e}", f"{c.numeric:+.6e}", f"{c.rel_error:.1e}", mark
            )
