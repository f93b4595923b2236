"""The installed `netviz tour`, driven as a person would: in tmux, with real keys."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netviz.commands.cli import main
from netviz.trace import TraceReader

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def netviz_command() -> list[str]:
    """The console script installed beside this Python, else `python -m netviz`."""
    script = Path(sys.executable).parent / "netviz"
    return [str(script)] if script.exists() else [sys.executable, "-m", "netviz"]


class Tmux:
    def __init__(self, name: str, cwd: Path, command: list[str]) -> None:
        self.name = name
        shell = " ".join(f"'{part}'" for part in command)
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", str(cwd),
             f"{shell}; sleep 30"],  # keep the pane after the app exits, to read what it printed
            check=True,
        )  # fmt: skip

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never showed {texts}:\n{screen}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_the_installed_tour_steps_through_an_example_in_a_real_terminal(tmp_path):
    command = [*netviz_command(), "tour", "--train-size", "300", "--test-size", "100",
               "--trace", "tour.nvtrace"]  # fmt: skip
    tmux = Tmux(f"netviz-test-{time.monotonic_ns()}", tmp_path, command)
    try:
        tmux.wait_for("Z1 = W1·x + b1", "e0/x0/fwd/L1/Z")
        tmux.keys("s")
        tmux.wait_for("A1 = σ(Z1 − 1e−5)", "e0/x0/fwd/L1/A")
        tmux.keys("r")
        tmux.wait_for("ŷ = softmax(Z3)", "e0/x0/fwd/L3/A")
        tmux.keys("q")
        tmux.wait_for("trace: tour.nvtrace")
    finally:
        tmux.kill()
    with TraceReader(tmp_path / "tour.nvtrace") as trace:
        assert trace.step("e0/x0/fwd/L3/A").equation == "ŷ = softmax(Z3)"
    assert main(["trace", "info", str(tmp_path / "tour.nvtrace")]) == 0


def test_the_installed_replay_follows_a_run_another_process_is_writing(tmp_path):
    """`netviz train` writes a trace in one process (600 epochs on the sample, ~3 s); `netviz
    replay` opens it mid-run, in tmux, and shows the epochs arrive; then x writes a heatmap and
    says where."""
    trace = tmp_path / "growing.nvtrace"
    train = subprocess.Popen(
        [*netviz_command(), "train", "--epochs", "600", "--trace", str(trace)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    tmux = None
    try:
        deadline = time.monotonic() + 20
        while not trace.exists() or TraceReader(trace).last_step() == 0:
            assert time.monotonic() < deadline, "the training wrote no step"
            time.sleep(0.05)
        tmux = Tmux(f"netviz-replay-{time.monotonic_ns()}", tmp_path, [*netviz_command(),
                    "replay", str(trace)])  # fmt: skip
        first = re.search(r"epoch \d+ of (\d+)", tmux.wait_for("replay (read-only)"))
        assert first is not None and int(first.group(1)) < 600  # opened mid-run
        tmux.keys("G")
        tmux.wait_for("epoch 600 of 600", timeout=60)  # followed to the end of the run
        tmux.keys("x")
        tmux.wait_for("Wrote")  # the path after it may wrap in the notification
        tmux.keys("q")
    finally:
        train.wait(timeout=60)
        if tmux is not None:
            tmux.kill()
    assert (tmp_path / "growing_e600_L1_grad.png").is_file()
