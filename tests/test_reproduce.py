"""The seed preset reproduces the published walkthrough on the full MNIST set (slow: ~25 s)."""

from __future__ import annotations

import re

import pytest

from netviz.commands.cli import main

PUBLISHED_TRAIN, PUBLISHED_TEST = 87.22, 85.65


@pytest.mark.slow
def test_seed_preset_reaches_the_walkthroughs_accuracy_on_mnist(mnist_dir, capsys):
    argv = ["train", "--preset", "seed", "--data", str(mnist_dir), "--epochs", "500", "--no-trace"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "30,000 train / 12,000 test" in out
    train = float(re.search(r"^train accuracy: ([\d.]+) %$", out, re.M).group(1))
    test = float(re.search(r"^test accuracy: ([\d.]+) %$", out, re.M).group(1))
    assert abs(test - PUBLISHED_TEST) <= 2.0, out
    assert abs(train - PUBLISHED_TRAIN) <= 2.0, out
