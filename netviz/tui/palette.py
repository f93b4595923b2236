"""The command palette's netviz commands, and the small screens that ask for a number or a yes."""

from __future__ import annotations

import math
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..core.presets import PRESETS
from ..debug.breakpoints import FORMS, BreakpointError
from .keys import PALETTE, action_name
from .timeline import epochs

# The app these act on is netviz.tui.app.NetvizApp; its name is not imported here, as the app
# imports this module (no import cycles, even for annotations).


class Ask(ModalScreen[str | None]):
    """One question, one typed answer: enter submits it, escape cancels (None)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, value: str = "", kind: str = "number") -> None:
        super().__init__()
        self.question, self.value, self.kind = question, value, kind

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question, id="ask-question", markup=False)
            yield Input(self.value, type=self.kind, id="ask-input")  # type: ignore[arg-type]
            yield Static("enter to confirm, escape to cancel", id="ask-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class Confirm(Ask):
    """A yes or no question (in the same box as :class:`Ask`): y answers yes; n or escape no."""

    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes"),
        Binding("n", "dismiss(False)", "No"),
        Binding("escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(question)

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question, id="ask-question", markup=False)
            yield Static("y: yes · n or escape: no", id="ask-hint")


MAX_EPOCHS = 1_000_000  # "Run N epochs…" at most (space plays on without end)
MAX_SEED = 2**63 - 1  # what a trace's metadata and file name hold comfortably


def positive_number(text: str, what: str) -> float:
    """``text`` as a finite number above 0; ValueError saying why not (``1e400`` reads as
    infinity, ``1e-400`` as 0: both refused, as the command line refuses them)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number above 0; {text} reads as {value:g}")
    return value


def whole_number(text: str, low: int, high: int, what: str) -> int:
    """``text`` as a whole number from ``low`` to ``high``; ValueError saying why not."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {text[:20]!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be {low} to {high}, not {text[:20]}")
    return value


def ask_alpha(app: App) -> None:
    """Ask for a learning rate and use it from the next epoch."""

    def answer(text: str | None) -> None:
        if not text:
            return
        try:
            app.snapshot = app.session.set_alpha(positive_number(text, "The learning rate α"))
        except ValueError as e:
            app.notify(str(e), title="not a learning rate", severity="error", markup=False)
        else:
            app.notify(f"Learning rate α = {app.session.snapshot().alpha:g} from the next epoch.")

    alpha = app.session.snapshot().alpha
    app.push_screen(Ask(f"Learning rate α (now {alpha:g})", f"{alpha:g}"), answer)


def ask_example(app: App) -> None:
    """Ask for a training example's index and open it at the current weights."""
    last = app.session.snapshot().train_size - 1

    def answer(text: str | None) -> None:
        if not text:
            return
        try:
            example = whole_number(text, 0, last, "The example")
            app.snapshot = app.session.goto_example(example)
        except ValueError as e:
            app.notify(str(e), title="cannot open", severity="error", markup=False)

    app.push_screen(Ask(f"Example to open (0–{last})", "", "integer"), answer)


def ask_epochs(app: App) -> None:
    """Ask how many epochs, then run them in the background."""

    def answer(text: str | None) -> None:
        if not text:
            return
        try:
            count = whole_number(text, 1, MAX_EPOCHS, "The number of epochs")
        except ValueError as e:
            app.notify(f"{e} (space plays without end)", severity="error", markup=False)
            return
        app.run_epochs(count)

    app.push_screen(Ask("How many full-batch epochs?", "10", "integer"), answer)


def ask_seed(app: App) -> None:
    """Ask for an RNG seed, then (once confirmed) start a fresh network drawn with it."""

    def answer(text: str | None) -> None:
        if not text:
            return
        try:
            seed = whole_number(text, 0, MAX_SEED, "The seed")
        except ValueError as e:
            app.notify(str(e), title="not a seed", severity="error", markup=False)
            return
        ask_reset(app, seed=seed)

    seed = app.session.snapshot().seed
    app.push_screen(
        Ask(f"Seed of the new network's first weights (now {seed})", "", "integer"), answer
    )


def ask_reset(app: App, seed: int | None = None, preset: str | None = None) -> None:
    """Ask before a fresh network replaces this one (its timeline is cleared from the tour;
    its trace file stays), then reset on yes."""
    now = app.session.snapshot()
    same_start = now.weights_from and seed is None and preset is None  # saved weights, again
    start = now.start_words if same_start else ""
    new = f"preset {preset or now.preset}{start}, seed {now.seed if seed is None else seed}"
    kept = f"its trace stays in {now.trace}" if now.trace else "it was not recorded"
    question = (
        f"Start a new network ({new})?\nThis run's timeline ({now.timeline_length} steps, "
        f"{epochs(now.epoch)} trained) leaves the tour; {kept}."
    )

    def answer(yes: bool | None) -> None:
        if yes:
            app.reset_network(seed=seed, preset=preset)

    app.push_screen(Confirm(question), answer)


def ask_breakpoint(app: App) -> None:
    """Ask for a breakpoint's condition, typed; a wrong one gets a message saying the forms."""

    def answer(text: str | None) -> None:
        if not text or not text.strip():
            return
        try:
            bp = app.session.add_breakpoint(text)
        except BreakpointError as e:
            app.notify(str(e), title="not a breakpoint", severity="error", markup=False)
        else:
            count = len(app.session.breakpoints)
            app.notify(f"Breakpoint {bp.text} added ({count} in all): c continues to it.")

    forms = "\n".join(f"  {form}" for form in FORMS.split(" · "))
    app.push_screen(Ask(f"Break when… (after each epoch)\n{forms}", "", "text"), answer)


def ask_watch(app: App) -> None:
    """Ask for a watch expression; a refused one gets a message saying why."""

    def answer(text: str | None) -> None:
        if not text or not text.strip():
            return
        try:
            watch = app.session.add_watch(text)
        except ValueError as e:  # WatchError
            app.notify(str(e), title="not a watch", severity="error", markup=False)
        else:
            app.snapshot = app.session.snapshot()
            app.notify(f"Watching {watch.text}", markup=False)

    question = "Watch an expression over this step's tensors\n  e.g. norm(dW1)/norm(W1)  argmax(ŷ)"
    app.push_screen(Ask(question, "", "text"), answer)


def ask_goto(app: App) -> None:
    """Ask where to go: an address, an example or an epoch."""

    def answer(text: str | None) -> None:
        if not text or not text.strip():
            return
        try:
            app.show_move(lambda: app.session.goto(text))
        except ValueError as e:
            app.notify(str(e), title="cannot go there", severity="error", markup=False)

    question = "Go to an address (e3/x17/bwd/L2/dZ), an example (17) or an epoch (e3)"
    app.push_screen(Ask(question, "", "text"), answer)


def copy_address(app: App) -> None:
    """Put the cursor's address on the clipboard, to send to someone."""
    address = app.session.snapshot().address
    app.copy_to_clipboard(address)
    app.notify(f"Copied {address}", markup=False)


def commands(app: App) -> list[tuple[str, Callable[[], object], str]]:
    """(name, callback, help) for every netviz command, each named with a verb: first the keys
    the key table names for the palette (STYLE.md: everything is there), in its order."""
    seed = app.session.snapshot().seed
    found = [
        (name, lambda action=action: app.call_later(app.run_action, action), f"key {key}")
        for name, action, key in PALETTE
        if app.check_action(action_name(action), ()) is not None  # a replay's computing keys
    ]
    found.append(
        ("Copy address", lambda: copy_address(app), "the cursor's address, to the clipboard")
    )
    if not app.session.live:  # a replay computes nothing: no epochs, resets or new examples
        return found
    found += [
        ("Run 10 epochs", lambda: app.run_epochs(10), "ten full-batch epochs in the background"),
        ("Run 100 epochs", lambda: app.run_epochs(100), "escape stops at the next epoch"),
        ("Run N epochs…", lambda: ask_epochs(app), "type how many full-batch epochs to run"),
        ("Set learning rate…", lambda: ask_alpha(app), "α for the epochs to come"),
        ("Reset network (same seed)", lambda: ask_reset(app), f"seed {seed} again"),
        (
            "Reset network (new seed)",
            lambda: ask_reset(app, seed=seed + 1),
            f"other first weights: seed {seed + 1}",
        ),
        ("Reset network with seed…", lambda: ask_seed(app), "type the seed of the first weights"),
        ("Go to example…", lambda: ask_example(app), "open a training example by its index"),
    ]
    for name, preset in PRESETS.items():
        found.append(
            (f"Switch preset: {name}", lambda n=name: ask_reset(app, preset=n), preset.summary)
        )
    return found


class NetvizCommands(Provider):
    """Training, learning rate, reset, preset and navigation commands."""

    async def discover(self) -> Hits:
        for name, callback, help in commands(self.app):  # type: ignore[arg-type]
            yield DiscoveryHit(name, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help in commands(self.app):  # type: ignore[arg-type]
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help)
