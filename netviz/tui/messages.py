"""What the app's workers tell it: each is posted from a thread and handled on the UI's own."""

from __future__ import annotations

from textual.message import Message

from ..session.snapshot import Hit


class EpochDone(Message):
    """The worker finished an epoch; a newer one replaces it in the queue (one repaint)."""

    def __init__(self, epoch: int, done: int, total: int | None) -> None:
        super().__init__()
        self.epoch, self.done, self.total = epoch, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EpochDone)


class BreakpointHit(Message):
    """The continue worker stopped at a breakpoint that fired."""

    def __init__(self, hit: Hit) -> None:
        super().__init__()
        self.hit = hit


class SessionChanged(Message):
    """A reset finished in a worker: repaint and say what changed (``refused``: nothing did)."""

    def __init__(self, note: str, refused: bool = False) -> None:
        super().__init__()
        self.note, self.refused = note, refused


class Exported(Message):
    """The export worker wrote ``path`` (None: it could not, and ``problem`` says why)."""

    def __init__(self, path, problem: str) -> None:
        super().__init__()
        self.path, self.problem = path, problem
