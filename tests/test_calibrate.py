"""The epoch's plan for this machine: measured once on the training set, cached, said by -v."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from helpers import run_cli

from netviz.core.activations import SIGMOID
from netviz.core.epoch import DEFAULT_PLAN, Plan
from netviz.core.network import as_inputs
from netviz.training import calibrate
from netviz.training.trainer import Trainer

SIZES = (784, 16, 16, 10)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder of the test's own, and measurements kept short (two sizes, one timed
    round): the calibration file's path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(calibrate, "SIZES", ((512, 512), (2048, 1024)))
    monkeypatch.setattr(calibrate, "ROUNDS", 1)
    return tmp_path / "cache" / "netviz" / "calibration.json"


@pytest.fixture(scope="module")
def big(sample):
    """More columns than calibrate.SAMPLE: the sample's digits twice and a bit, raw pixels."""
    n = calibrate.SAMPLE + 500
    rows = np.resize(np.arange(len(sample.images)), n)
    return as_inputs(sample.images[rows]), sample.labels[rows].astype(np.intp)


def count_measures(monkeypatch) -> list:
    """Calls of calibrate.measure, recorded (it still measures)."""
    calls, real = [], calibrate.measure
    monkeypatch.setattr(calibrate, "measure", lambda *a: calls.append(a) or real(*a))
    return calls


def test_a_small_training_set_keeps_the_defaults_and_writes_nothing(sample, cache, monkeypatch):
    calls = count_measures(monkeypatch)
    X, y = as_inputs(sample.images[:1000]), sample.labels[:1000].astype(np.intp)
    with Trainer(X, y, SIGMOID, 0.5) as trainer:
        assert trainer.plan == DEFAULT_PLAN
        assert "1,000 training examples are not worth measuring" in trainer.choice.source
    assert not calls and not cache.exists()


def test_a_large_set_is_measured_once_then_read_from_the_cache(big, cache, monkeypatch):
    calls, told = count_measures(monkeypatch), []
    with Trainer(*big, SIGMOID, 0.5, sizes=SIZES, notice=told.append) as first:
        assert len(calls) == 1 and "measured on this machine now" in first.choice.source
    assert len(told) == 1 and "measuring how this machine runs an epoch fastest" in told[0]
    entries = json.loads(cache.read_text())["entries"]
    key = calibrate.machine_key(np.float64, SIZES)
    assert list(entries) == [key]
    assert entries[key]["plan"] == asdict(first.plan) and entries[key]["workers"] == first.workers
    assert (first.plan.chunk, first.plan.part) in calibrate.SIZES
    with Trainer(*big, SIGMOID, 0.5, sizes=SIZES, notice=told.append) as second:
        assert len(calls) == 1 and len(told) == 1  # not measured again, nothing to tell
        assert (second.plan, second.workers) == (first.plan, first.workers)
        assert f"cached in {cache}" in second.choice.source


@pytest.mark.parametrize(
    "other",
    ["float32", (784, 32, 16, 10), "newer epoch code"],
    ids=["another-dtype", "another-width", "another-epoch-code"],
)
def test_another_dtype_network_or_epoch_code_is_measured_again(big, cache, monkeypatch, other):
    X, y = big
    with Trainer(X, y, SIGMOID, 0.5, sizes=SIZES):
        pass
    calls = count_measures(monkeypatch)
    sizes = other if isinstance(other, tuple) else SIZES
    X = X.astype(other) if other == "float32" else X
    if other == "newer epoch code":
        monkeypatch.setattr(calibrate, "EPOCH_CODE", calibrate.EPOCH_CODE + 1)
    with Trainer(X, y, SIGMOID, 0.5, sizes=sizes):
        pass
    assert len(calls) == 1
    assert len(json.loads(cache.read_text())["entries"]) == 2  # both kept


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"version": 99, "entries": {}}',
        '{"version": 1, "entries": []}',
        '{"version": 1, "entries": {"KEY": {"plan": {"chunk": 0}, "workers": 2, '
        '"measured": "2026-12-01"}}}',
        '{"version": 1, "entries": {"KEY": {"plan": {"chunk": 512, "part": 512, '
        '"by_pixel": false, "dW1_as_product_of_transposes": false}, "workers": 0, '
        '"measured": "2026-12-01"}}}',
    ],
    ids=["not-json", "another-version", "entries-not-a-table", "a-damaged-plan", "no-workers"],
)
def test_a_damaged_cache_is_measured_again_and_rewritten(big, cache, monkeypatch, content):
    cache.parent.mkdir(parents=True)
    key = calibrate.machine_key(np.float64, SIZES)
    cache.write_text(content.replace("KEY", key))
    calls = count_measures(monkeypatch)
    with Trainer(*big, SIGMOID, 0.5, sizes=SIZES) as trainer:
        assert len(calls) == 1
    written = json.loads(cache.read_text())
    assert written["entries"][key]["plan"] == asdict(trainer.plan)


def test_a_cache_that_cannot_be_written_still_trains_and_says_why(big, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # its netviz folder cannot be made
    monkeypatch.setattr(calibrate, "SIZES", ((512, 512),))
    monkeypatch.setattr(calibrate, "ROUNDS", 1)
    with Trainer(*big, SIGMOID, 0.5, sizes=SIZES) as trainer:
        assert "not cached" in trainer.choice.source
        assert trainer.epoch(trainer_params(), 1).cost > 0


def trainer_params():
    from netviz.core.network import init_params

    return init_params(SIZES, np.random.default_rng(0), "xavier")


def test_the_fastest_candidate_is_chosen(big, monkeypatch):
    """The choice, with the timings made up: the least time wins, plan first, then workers."""
    slow = {Plan(2048, 1024, True, False): 1.0, Plan(512, 512, False, True): 0.5}

    def timed(make, X, labels, hidden, params, candidates):
        return {(p, w): slow.get(p, 2.0) + (0.1 if w == 1 else 0.3) for p, w in candidates}

    monkeypatch.setattr(calibrate, "_best_times", timed)
    monkeypatch.setattr(calibrate, "SIZES", ((512, 512), (2048, 1024)))
    choice = calibrate.measure(*big, SIGMOID, SIZES, 2, Trainer)
    assert (choice.plan, choice.workers) == (Plan(512, 512, False, True), 1)


def test_a_plan_and_workers_given_are_used_as_given(big, cache, monkeypatch):
    calls = count_measures(monkeypatch)
    plan = Plan(300, 100, True, True)
    with Trainer(*big, SIGMOID, 0.5, workers=3, plan=plan) as trainer:
        assert (trainer.plan, trainer.workers) == (plan, 3)
        assert trainer.choice.source == "plan as given; worker count as given"
    assert not calls and not cache.exists()


def test_a_given_plan_says_its_workers_were_measured_with_the_machines_own(big, cache, monkeypatch):
    """A fork's plan with workers measured here: -v says for which plan they were timed."""
    plan = Plan(300, 100, True, True)
    with Trainer(*big, SIGMOID, 0.5, plan=plan, sizes=SIZES, plan_from=calibrate.PARENTS_PLAN) as t:
        own = Plan.from_dict(json.loads(cache.read_text())["entries"][calibrate.machine_key(
            np.float64, SIZES)]["plan"])  # fmt: skip
        assert t.plan == plan and own != plan
        assert t.choice.source.startswith(
            "plan the parent's, as its trace records it; worker count: the best for this "
            f"machine's own plan ({own.describe()}), measured on this machine now"
        )


@pytest.mark.parametrize(
    "recorded",
    [
        None,
        [512, False, False],
        {"chunk": 512},
        {"chunk": 0, "part": 1, "by_pixel": False, "dW1_as_product_of_transposes": False},
        {"chunk": 512.0, "part": 1, "by_pixel": False, "dW1_as_product_of_transposes": False},
        {"chunk": 512, "part": 1, "by_pixel": "no", "dW1_as_product_of_transposes": False},
        {"chunk": 512, "part": -3, "by_pixel": False, "dW1_as_product_of_transposes": False},
    ],
    ids=[
        "none",
        "a-list",
        "a-field-missing",
        "chunk-0",
        "chunk-a-float",
        "flag-a-string",
        "part<0",
    ],
)
def test_a_recorded_plan_that_is_not_one_is_refused(recorded):
    with pytest.raises(ValueError):
        Plan.from_dict(recorded)


def test_a_recorded_plan_reads_back_as_written():
    plan = Plan(1024, 256, True, False)
    assert Plan.from_dict(asdict(plan)) == plan


def test_train_v_says_the_plan_and_where_it_comes_from(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    status, out, err = run_cli(
        capsys, "train", "--data", "sample", "--epochs", "1", "--no-trace", "--workers", "2", "-v"
    )
    assert status == 0, err
    line = next(row for row in out.splitlines() if row.startswith("epochs: "))
    assert DEFAULT_PLAN.describe() in line and "2 worker threads" in line
    assert "worker count as given; plan: the default: 3,000 training examples" in line
