"""``f``: fork the running network at the current epoch with another α, to answer "what if":
both runs then train side by side, the charts draw the fork over this run, and the inspector
shows the fork's values of the op shown beside this run's. A mixin of the app."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import NetvizError
from ..safe import literal
from .palette import Ask, positive_number

if TYPE_CHECKING:
    from ..session.live import Session
    from ..session.snapshot import Snapshot


class ForkKeys:
    """The fork's key and what the app asks of it each epoch and at each step."""

    fork_run: Session | None = None
    fork_name = ""
    fork_trace = None  # its trace's path, kept: a closed session no longer says
    fork_stopped: dict = {}  # {its trace: why} once it could not take another step (a full disk)

    def action_fork(self) -> None:
        """``f``: ask for the fork's α, then fork here."""
        if self.fork_run is not None:
            self.notify(f"The {self.fork_name} runs beside this one until you quit: one fork "
                        "at a time.", severity="warning", markup=False)  # fmt: skip
            return
        if self.training:
            self.notify("Epochs are running: escape stops them, then fork.", severity="warning")
            return
        alpha = self.session.snapshot().alpha

        def answer(text: str | None) -> None:
            if text:
                try:
                    self.start_fork(positive_number(text, "The fork's learning rate α"))
                except (ValueError, NetvizError) as e:
                    self.notify(str(e), title="no fork", severity="error", markup=False)

        question = f"Fork here: this network, trained on with another α (now {alpha:g})"
        self.push_screen(Ask(question, f"{alpha / 2:g}"), answer)

    def start_fork(self, alpha: float) -> None:
        """A second run from this one's current weights with ``alpha``, numbered on from here."""
        self.fork_run = self.session.fork(alpha=alpha)
        self.fork_name, self.fork_trace = f"fork α {alpha:g}", self.fork_run.trace_path
        self.charts.fork = (self.fork_name, ())
        epoch = self.fork_run.snapshot().epoch
        where = literal(self.fork_run.trace_path) if self.fork_run.trace_path else "no trace"
        self.notify(f"Forked at e{epoch} with α = {alpha:g} ({where}). e and space now train "
                    "both; the charts draw the fork over this run, and the inspector shows its "
                    "values of the op shown beside this run's.", markup=False)  # fmt: skip
        self.snapshot = self.session.snapshot()

    def fork_epoch(self) -> None:
        """After each epoch of this run (in the epoch worker): the fork's next one. The charts
        read its metrics when the app next paints."""
        if self.fork_run is not None:
            self.fork_run.run_epoch(follow=False)

    def beside(self, snapshot: Snapshot | None) -> Snapshot | None:
        """``snapshot`` with the fork's values of the same op, where the fork has that pass (its
        own epochs, from the fork on; computed at its current weights on demand)."""
        if self.fork_run is None or snapshot is None or snapshot.kind != "op":
            return snapshot
        try:
            other = self.fork_run.goto(snapshot.address)
        except ValueError:
            return snapshot  # an epoch before the fork, or one the fork is not at
        return replace(snapshot, theirs=other.op.outputs, beside=self.fork_name)

    def close_fork(self) -> None:
        """Finish the fork's trace (the caller waits for the epoch worker first)."""
        if self.fork_run is not None:
            self.fork_run.close()
            self.fork_stopped = dict(self.fork_run.stopped)

    def end_fork(self) -> None:
        """A new network: the fork is finished and forgotten (its trace is still printed)."""
        self.close_fork()
        self.fork_run, self.fork_name, self.charts.fork = None, "", None
