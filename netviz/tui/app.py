"""The tour: a Textual app that steps one digit through the network and trains it epoch by epoch.

The app drives a :class:`~netviz.session.live.Session` and paints the frozen snapshots it returns:
stepping keys call the session directly (each call takes a few ms); epochs run in a thread worker
that talks back only through messages. The CLI builds the session, calls :func:`run_tour`, and
closes the session afterwards, which finishes its trace.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.worker import Worker, WorkerState, get_current_worker

from ..errors import NetvizError
from ..safe import literal
from ..session.history import History
from ..session.snapshot import Hit, Snapshot
from . import SERVER_PID
from .chain import card_marks, card_output, clamp, entry_index
from .charts import Charts
from .debugging import DebuggerKeys
from .deliver import deliver
from .digit import DigitView
from .forking import ForkKeys
from .help import HelpScreen, KeyFooter
from .inspector import Inspector, NumbersView
from .keys import BINDINGS as KEY_BINDINGS
from .keys import KEYS, REPLAY_REFUSES, VIEW_ACTIONS
from .messages import BreakpointHit, EpochDone, Exported, SessionChanged
from .network import NetworkView
from .notes import edge_note, hit_note
from .palette import NetvizCommands
from .timeline import Scrubber, Timeline

CONTINUE_MAX = 10_000  # epochs ``c`` runs at most before giving up on a breakpoint
PAINT_EVERY = 0.25  # seconds between repaints while epochs run
FOLLOW_EVERY = 0.5  # seconds between looks for new steps in a replayed trace
ORPHAN_CHECK = 1.0  # seconds between a served session's looks for its server


class NetvizApp(DebuggerKeys, ForkKeys, App[int]):
    """The tour of one network: input digit, network, inspector, charts and timeline."""

    CSS_PATH = "netviz.tcss"
    TITLE = "netviz"
    COMMANDS = App.COMMANDS | {NetvizCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (100, "-wide"), (190, "-roomy")]
    VERTICAL_BREAKPOINTS: ClassVar = [(0, "-short"), (32, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = KEY_BINDINGS  # made from the key table, KEYS

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    """The session's state at the cursor, as last painted (the regions repaint themselves)."""
    selecting: reactive[bool] = reactive(False, init=False)
    """Select mode: the arrows move the selected gradient entry, whose chain-rule card shows."""
    overlay: reactive[bool] = reactive(False, init=False)
    """Whether hidden neurons are coloured by their local slope f′(Z) instead."""
    pixel_gradient = False  # ``i``: the digit panel shows which pixels move the guess
    intro = None  # a screen shown once over the tour as it opens (netviz tour --image)

    def __init__(self, session: History, close_session: bool = False) -> None:
        super().__init__()
        self.session = session
        self.close_session = close_session
        self.epoch_lock = threading.Lock()  # one thread computes at a time; held for a whole run
        self.digit, self.network, self.inspector = DigitView(), NetworkView(), Inspector()
        self.charts, self.timeline, self.footer = Charts(), Timeline(), KeyFooter()
        self._last_paint, self._paint_timer = 0.0, None
        self._latest: EpochDone | None = None  # the epoch worker's latest report
        self._told: set[str] = set()  # trace failures told (a run's and its fork's)
        self.selection = (0, 0)  # (row, column) of the selected gradient entry
        self.export_folder = Path(".")  # where x writes its figures

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.digit
                yield self.charts
            yield self.network
            yield self.inspector
        yield self.timeline
        yield self.footer

    def on_mount(self) -> None:
        if SERVER_PID in os.environ:  # a session of netviz serve (its server may be gone already)
            self.set_interval(ORPHAN_CHECK, self._quit_if_orphaned)
        if not self.session.live:
            self.sub_title = f"replay · {literal(self.session.trace_path)}"
            self.timeline.add_class("-replay")
            self._follower = self.set_interval(FOLLOW_EVERY, self._follow)
        self.snapshot = self.session.snapshot()
        if self.intro is not None:
            self.push_screen(self.intro)

    async def _quit_if_orphaned(self) -> None:
        """A served session whose server is gone (killed, so it could not end its sessions)
        quits as q does, its trace closed cleanly: no browser can reach it any more."""
        if os.environ.get(SERVER_PID) != str(os.getppid()):
            await self.action_quit()

    def _follow(self) -> None:
        """A replayed trace that is still being written: show what was committed since."""
        try:
            if self.session.refresh():
                self.snapshot = self.session.snapshot()
        except NetvizError as e:  # the file went away or was damaged: stop following it
            self._follower.stop()
            self.notify(f"Stopped following: {e}", severity="error", markup=False)

    def _refuse(self, action: str) -> None:
        """Say why a replay does not do ``action``."""
        self.notify(
            f"Replay is read-only: this key {REPLAY_REFUSES[action]}. Open a run live with "
            "netviz tour to compute.",
            severity="warning",
        )

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if self.digit.drawing and snapshot is not None and snapshot.kind != "preview":
            self._leave_drawing()  # a move away from the drawing ends it
        self._tell_trace_failure(snapshot)
        self.digit.gradient = self._input_gradient(snapshot)
        snapshot = self.beside(snapshot)  # a fork's values of this op, beside this run's
        card, index = self._card(snapshot)
        self.network.marks = card_marks(card)
        self.network.overlay = self.overlay
        self.inspector.selected = (card, index)
        for region in (self.digit, self.network, self.inspector, self.charts, self.timeline):
            region.snapshot = snapshot

    def _tell_trace_failure(self, snapshot: Snapshot | None) -> None:
        """Once per trace: its disk is full (say), so the run goes on unrecorded."""
        failure = "" if snapshot is None else snapshot.trace_failure
        if failure and failure not in self._told:
            self._told.add(failure)
            note = f"{failure}. The run goes on here, no longer recorded."
            self.notify(note, title="recording stopped", severity="error", timeout=30, markup=False)

    # --- the learner's own digit: d draws one, i shows which pixels move the guess ----------

    def action_draw(self) -> None:
        """``d``: draw a digit of your own in the input panel; ``d`` again leaves."""
        if self.digit.drawing:
            self._leave_drawing()
            self._refresh()
            return
        self.pixel_gradient = False
        self.screen.add_class("-digit")
        self.digit.start_drawing(self.snapshot.pixels)
        self.notify("Draw with the mouse (right button erases), or arrows and space. The guess "
                    "follows as you draw; Enter steps your digit through the network.",
                    markup=False)  # fmt: skip

    def _leave_drawing(self) -> None:
        self.digit.stop_drawing()
        self.screen.set_class(self.pixel_gradient, "-digit")

    def on_canvas_changed(self, message) -> None:
        """A stroke: what the network makes of the drawing now, forward only, kept nowhere."""
        self.snapshot = self.session.preview(message.pixels)

    def on_canvas_submitted(self, message) -> None:
        """Enter on the canvas: the drawing becomes a pass to step through, like an example."""
        self._leave_drawing()
        self.show_move(lambda: self.session.own_digit(message.pixels, source="your drawing"))

    def _input_gradient(self, snapshot: Snapshot | None):
        """``i``'s map for the op shown: dC/dx and its weights' epoch (None when off, on an
        epoch step, whose digit is a watched example's, or while drawing)."""
        if not self.pixel_gradient or snapshot is None or snapshot.kind != "op":
            return None
        if self.digit.drawing:
            return None
        return self.session.input_gradient()

    def _card(self, snapshot: Snapshot | None):
        """The chain-rule card of the selected entry (and its index), in select mode."""
        target = None if snapshot is None else card_output(snapshot.op)
        if not self.selecting or target is None:
            return None, None
        name, shape = target
        self.selection = clamp(shape, *self.selection)
        index = entry_index(shape, *self.selection)
        return self.session.chain_rule(name, index), index

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select" or (action == "select_mode" and parameters == (False,)):
            if not self.selecting:
                return False  # the arrows and escape fall through to their other bindings
        if action in REPLAY_REFUSES and not self.session.live:
            return None  # shown dimmed in the footer; on_key says why when pressed
        return action not in VIEW_ACTIONS or len(self.screen_stack) == 1

    def on_key(self, event: events.Key) -> None:
        """A replay's computing keys reach here (their bindings are off): say why."""
        if self.session.live or len(self.screen_stack) > 1:
            return
        for key in KEYS:
            if event.key == key.key and key.replay_refuses:
                self._refuse(key.name)

    # --- stepping: fast session calls, repainted from the snapshot they return ---------------

    def show_move(self, move: Callable[[], Snapshot]) -> bool:
        """Make a move and paint where it lands; whether it could. A replayed trace damaged
        in the part the move reads says so and the cursor stays (a live session raises no
        NetvizError here)."""
        try:
            self.snapshot = move()
        except NetvizError as e:
            self.notify(str(e), title="cannot read", severity="error", markup=False)
            return False
        return True

    def action_step(self, delta: int) -> None:
        """``s`` / ``S``; at either end of the pass (or of the timeline) say why it stays."""
        before = self.session.snapshot().cursor
        if self.show_move(lambda: self.session.step(delta)) and self.snapshot.cursor == before:
            self.notify(edge_note(self.snapshot, delta), markup=False)

    def action_layer(self, delta: int) -> None:
        self.show_move(lambda: self.session.layer(delta))

    def action_phase(self, finish: bool) -> None:
        self.show_move(lambda: self.session.phase(finish))

    def action_example(self, delta: int) -> None:
        before = self.snapshot
        self.show_move(lambda: self.session.example(delta))
        if not self.session.live and before is not None and self.snapshot.cursor == before.cursor:
            if self.snapshot.kind == "op" and delta > 0:
                self.notify("The last recorded pass: a replay opens no new examples.")

    def action_edge(self, last: bool) -> None:
        self.show_move(lambda: self.session.edge(last))

    def action_move(self, delta: int) -> None:
        self.show_move(lambda: self.session.move(delta))

    def action_scrub(self, delta: int) -> None:
        self.show_move(lambda: self.session.scrub(delta))

    @on(Scrubber.Seek)
    def _scrub_to(self, message: Scrubber.Seek) -> None:
        """The scrubber was clicked or dragged: go to that epoch step."""
        try:
            self.show_move(lambda: self.session.goto_epoch(message.epoch))
        except ValueError as e:
            self.notify(str(e), severity="warning", markup=False)

    def action_scroll_numbers(self, lines: int) -> None:
        self._numbers.scroll_lines(lines)

    def action_page_numbers(self, pages: int) -> None:
        self._numbers.scroll_lines(pages * max(1, self._numbers.size.height - 1))

    def action_scroll_matrix(self, rows: int, columns: int) -> None:
        self._numbers.scroll_matrix(rows, columns)

    def action_page_matrix(self, pages: int) -> None:
        self._numbers.page_matrix(pages)

    @property
    def _numbers(self) -> NumbersView:
        return self.inspector.query_one(NumbersView)

    def _refresh(self) -> None:
        self.snapshot = self.session.snapshot()

    # --- the chain rule and the hand calculation -------------------------------------------

    def action_select_mode(self, on: bool | None) -> None:
        """``k`` toggles select mode (an entry and its card: a forward entry's hand calculation,
        a gradient entry's chain rule); escape leaves."""
        on = not self.selecting if on is None else on
        if on and card_output(self.session.snapshot().op) is None:
            self.notify(
                "A card is for an entry of Z, A or ŷ (by hand) or of a gradient (the chain "
                "rule): step to one of their ops.",
                severity="warning",
            )
            return
        if on and not self.selecting:
            self.selection = (0, 0)
        self.selecting = on

    def watch_selecting(self) -> None:
        self.inspector.set_class(self.selecting, "-selecting")
        self.refresh_bindings()
        self._refresh()

    def action_select(self, rows: int, columns: int) -> None:
        row, column = self.selection
        self.selection = (row + rows, column + columns)
        self.snapshot = self.snapshot  # clamped and shown by watch_snapshot

    def action_overlay(self) -> None:
        self.overlay = not self.overlay

    def watch_overlay(self) -> None:
        self.snapshot = self.snapshot
        if self.overlay and self.snapshot is not None:
            act = self.snapshot.activation  # its own slope: σ, tanh and relu differ
            self.notify(
                f"Slope overlay: {act.slope_label}, {act.slope_range}, where gradient can still "
                "flow.",
                markup=False,
            )

    def action_export(self) -> None:
        """``x``: a heatmap or card of what is shown, drawn in a worker (matplotlib takes a
        moment to start), then where it went."""
        address = self.session.snapshot().address
        self.notify(f"Exporting {address}…", markup=False)
        self._export(address)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, address: str) -> None:
        try:
            path = self.session.export_view(address, self.export_folder)
        except NetvizError as e:
            self.post_message(Exported(None, str(e)))
        else:
            self.post_message(Exported(path, ""))

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        if message.path is None:
            self.notify(message.problem, title="not exported", severity="error", markup=False)
        else:
            self.notify(deliver(self, message.path), title="exported", markup=False)

    def action_help(self) -> None:
        hidden = None if self.snapshot is None else self.snapshot.hidden
        self.push_screen(HelpScreen([*self.key_help(), ("ctrl+p", "command palette")], hidden))

    def key_help(self) -> list[tuple[str, str]]:
        """Every key of the table as (keys, what they do); a key and its reverse share a line."""
        return self.help_rows(KEYS)

    def help_rows(self, table) -> list[tuple[str, str]]:
        """The help lines of key rows ``table``: (keys, what they do), by action."""
        rows: dict[str, tuple[list[str], list[str]]] = {}
        for key in table:
            keys, texts = rows.setdefault(key.name, ([], []))
            keys.append(self.get_key_display(key.binding()))
            if key.tip not in texts:
                texts.append(key.tip)
        return [(" / ".join(keys), " · ".join(texts)) for keys, texts in rows.values()]

    def on_unmount(self) -> None:
        with self.epoch_lock:  # a fork's epoch still running in the worker ends first
            self.close_fork()

    async def action_quit(self) -> None:
        self.stop_epochs()
        if self.close_session:
            self.session.close()
        self.exit(0)

    # --- epochs: a thread worker, messages back ---------------------------------------------

    @property
    def training(self) -> bool:
        """Whether an epoch worker is pending or running."""
        return any(
            w.group == "epochs" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers
        )

    def action_epoch(self) -> None:
        self.run_epochs(1)

    def action_play(self) -> None:
        if self.training:
            self.stop_epochs()
        else:
            self.run_epochs(None)

    def action_stop(self) -> None:
        self.stop_epochs()

    def run_epochs(self, count: int | None) -> None:
        """Run ``count`` full-batch epochs (None: until stopped) in the background."""
        if self.training:
            self.notify("Epochs are already running: escape stops them.", severity="warning")
            return
        self.timeline.add_class("-training")
        self.timeline.progress = "▶ starting"
        self._epochs(count)

    def continue_to_breakpoint(self) -> None:
        """``c``: run epochs in the background until a breakpoint fires (escape stops)."""
        if not any(bp.enabled for bp in self.session.breakpoints):
            none = "No breakpoints are on" if self.session.breakpoints else "No breakpoints yet"
            self.notify(f"{none}: b adds one, B lists them.", severity="warning")
            return
        if self.training:
            self.notify("Epochs are already running: escape stops them.", severity="warning")
            return
        self.timeline.add_class("-training")
        self.timeline.progress = "▶ continuing to a breakpoint"
        self._continue()

    @work(thread=True, exclusive=True, group="epochs", exit_on_error=False)
    def _continue(self) -> Hit | None:
        worker = get_current_worker()
        start = self.session.snapshot().epoch
        done = 0

        def cancelled() -> bool:
            """Asked before each epoch: report the one before it, then say whether to stop."""
            nonlocal done
            if done:
                self.post_message(EpochDone(start + done, done, None))
            done += 1
            return worker.is_cancelled

        with self.epoch_lock:
            hit = self.session.run_until_break(
                CONTINUE_MAX, cancelled=cancelled, on_epoch=lambda _: self.fork_epoch()
            )
        if hit is not None:
            self.post_message(BreakpointHit(hit))
        return hit

    @on(BreakpointHit)
    def _breakpoint_hit(self, message: BreakpointHit) -> None:
        """Stop where it fired (the session has put the cursor there), and say which and where."""
        self.snapshot = self.session.snapshot()
        self.notify(hit_note(self.snapshot), title="breakpoint", severity="warning", markup=False)

    def stop_epochs(self) -> None:
        """Ask the epoch worker to stop at the next epoch boundary."""
        self.workers.cancel_group(self, "epochs")

    @work(thread=True, exclusive=True, group="epochs", exit_on_error=False)
    def _epochs(self, count: int | None) -> int:
        worker = get_current_worker()
        done = 0
        with self.epoch_lock:
            while (count is None or done < count) and not worker.is_cancelled:
                # The learner asked from where they are: show them the first epoch's result
                # (the same example and op at the new weights); later epochs leave one who
                # went browsing the past where they went.
                result = self.session.run_epoch(follow=True if done == 0 else None)
                self.fork_epoch()
                done += 1
                self.post_message(EpochDone(result.epoch, done, count))
        return done

    @on(EpochDone)
    def _epoch_done(self, message: EpochDone) -> None:
        self._latest = message
        # Repaint at most every PAINT_EVERY seconds: painting holds the GIL the epochs need.
        wait = self._last_paint + PAINT_EVERY - time.monotonic()
        if wait <= 0:
            self._paint()
        elif self._paint_timer is None:
            self._paint_timer = self.set_timer(wait, self._paint)

    def _paint(self) -> None:
        """Repaint from the session's current state, with the epoch worker's progress."""
        if self._paint_timer is not None:
            self._paint_timer.stop()
            self._paint_timer = None
        if self._exit or not self.is_running:  # a timer or a late worker message after q (or
            return  # while the app shuts down without one): the regions are going away
        self._last_paint = time.monotonic()
        done = self._latest
        if done is not None and self.training:  # a stopped worker's last epoch lands late
            of = f"/{done.total}" if done.total else ""
            self.timeline.progress = f"▶ epoch {done.epoch} ({done.done}{of}) · esc stops"
        if self.fork_run is not None:  # the fork's epochs so far, read here on the UI thread
            fork = self.fork_run.snapshot()
            self.charts.fork = (self.fork_name, fork.metrics)
            self._tell_trace_failure(fork)
        self.snapshot = self.session.snapshot()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed job, and clear the training state when the last one ends."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}", title="stopped", severity="error", markup=False
            )
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            if not self.training:
                self.timeline.remove_class("-training")
                self.timeline.progress = ""
            self._paint()

    # --- a new network (the palette's other commands live in palette.py) --------------------

    def reset_network(self, seed: int | None = None, preset: str | None = None) -> None:
        """A fresh network (same seed unless given), after any running epochs stop."""
        self.stop_epochs()
        self._reset(seed, preset)

    @work(thread=True, group="session", exit_on_error=False)
    def _reset(self, seed: int | None, preset: str | None) -> None:
        with self.epoch_lock:  # waits for a stopping epoch worker to finish its epoch
            try:
                snapshot = self.session.reset(seed=seed, preset=preset)
            except NetvizError as e:  # no room for its trace, say: this run goes on as it was
                self.post_message(SessionChanged(f"No new network: {e}.", refused=True))
                return
            self.end_fork()  # a fork of the old network has nothing to be beside
        new = f"preset {snapshot.preset}{snapshot.start_words}, seed {snapshot.seed}"
        self.post_message(SessionChanged(f"New network: {new}."))

    @on(SessionChanged)
    def _session_changed(self, message: SessionChanged) -> None:
        self.snapshot = self.session.snapshot()
        severity = "error" if message.refused else "information"
        self.notify(message.note, severity=severity, markup=False)


def create_app(session: History, close_session: bool = False) -> NetvizApp:
    """The app over ``session``: a live Session (the tour) or a Replay of a trace (left open
    on exit unless ``close_session``)."""
    return NetvizApp(session, close_session)


def run_tour(session: History, intro=None) -> int:
    """Run the app until the learner quits; the caller closes the session. Returns 0.
    ``intro``: a screen shown once over the tour as it opens (an image's preprocessing)."""
    app = create_app(session)
    app.intro = intro
    app.run()
    with app.epoch_lock:  # an epoch still running in a worker thread ends before we return
        pass
    if app.fork_trace is not None:
        session.traces.append(app.fork_trace)  # said with the run's own (f)
        session.stopped.update(app.fork_stopped)
    return 0
