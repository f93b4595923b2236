"""One math, two paths: the full-batch epoch equals the single-example passes, summed."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.activations import SEED_SIGMOID, SIGMOID
from netviz.core.epoch import batch_gradients, count_correct
from netviz.core.network import as_inputs, forward, init_params, predict, update
from netviz.core.steps import example_ops
from netviz.core.walkthrough import walkthrough_epoch
from netviz.training.trainer import Trainer


@pytest.fixture(scope="module")
def batch(sample):
    """The seed network and 200 raw-pixel sample digits."""
    p = init_params((784, 16, 16, 10), np.random.default_rng(0), "seed")
    return p, as_inputs(sample.images[:200]), sample.labels[:200].astype(np.intp)


def test_full_batch_epoch_equals_the_sum_of_single_example_passes(batch):
    p, X, labels = batch
    g = batch_gradients(p, X, labels, SEED_SIGMOID, chunk=64)
    sums = {name: 0.0 for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3")}
    cost = 0.0
    for i in range(X.shape[1]):
        for op in example_ops(p, X[:, i], int(labels[i]), SEED_SIGMOID):
            name, value = op.result
            if name in sums:
                sums[name] = sums[name] + value
            elif name == "cost":
                cost += float(value)
    for l in (1, 2, 3):
        np.testing.assert_allclose(g.dW[l - 1], sums[f"dW{l}"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(g.db[l - 1], sums[f"db{l}"], rtol=0, atol=1e-10)
    assert g.cost == pytest.approx(cost / X.shape[1], rel=1e-12)


def test_vectorised_update_equals_the_walkthroughs_per_example_loop(batch):
    p, X, labels = batch
    g = batch_gradients(p, X, labels, SEED_SIGMOID)
    ours = update(p, g.dW, g.db, 0.8, g.m)
    theirs = walkthrough_epoch(p, X, labels, 0.8)
    for a, b in zip(ours.W + ours.b, theirs.W + theirs.b, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    assert max(np.abs(a - w).max() for a, w in zip(ours.W, p.W, strict=True)) > 1e-6  # it moved


@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000])
def test_chunk_size_does_not_change_the_sums(batch, chunk):
    p, X, labels = batch
    ref = batch_gradients(p, X, labels, SEED_SIGMOID, chunk=200)
    got = batch_gradients(p, X, labels, SEED_SIGMOID, chunk=chunk)
    for a, b in zip(ref.dW + ref.db, got.dW + got.db, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert (got.correct, got.m) == (ref.correct, ref.m)
    assert got.cost == pytest.approx(ref.cost, rel=1e-12)


def test_count_correct_agrees_with_predict(batch):
    p, X, labels = batch
    want = int(np.sum(predict(p, X, SEED_SIGMOID) == labels))
    assert count_correct(p, X, labels, SEED_SIGMOID, chunk=33) == want


@pytest.mark.parametrize("workers", [2, 3])
def test_any_number_of_worker_threads_gives_the_one_thread_epoch_bit_for_bit(sample, workers):
    X = as_inputs(sample.images[:1100], np.float64, scale_pixels=True)
    y = sample.labels[:1100].astype(np.intp)
    p = init_params((784, 16, 16, 10), np.random.default_rng(1), "xavier")
    with (
        Trainer(X, y, SIGMOID, 2.0, workers=1, chunk=100) as one,
        Trainer(X, y, SIGMOID, 2.0, workers=workers, chunk=100) as many,
    ):
        a, b = one.epoch(p, 1), many.epoch(p, 1)
    for x, z in zip(a.params.W + a.params.b, b.params.W + b.params.b, strict=True):
        np.testing.assert_array_equal(x, z)
    assert (a.cost, a.train_accuracy) == (b.cost, b.train_accuracy)


def test_training_on_the_sample_lowers_the_cost(sample):
    X = as_inputs(sample.images[:1000], np.float64, scale_pixels=True)
    y = sample.labels[:1000].astype(np.intp)
    p = init_params((784, 16, 16, 10), np.random.default_rng(2), "xavier")
    with Trainer(X, y, SIGMOID, 2.0) as trainer:
        results = list(trainer.run(p, 30))
    assert [r.epoch for r in results] == list(range(1, 31))
    assert results[-1].cost < 0.6 * results[0].cost
    assert results[-1].train_accuracy > 0.5


def test_activation_statistics_are_those_of_the_batch(batch):
    p, X, labels = batch
    g = batch_gradients(p, X, labels, SEED_SIGMOID, chunk=37)
    cache = forward(p, X, SEED_SIGMOID)
    for l in (1, 2):
        A = cache[f"A{l}"]
        np.testing.assert_allclose(g.A_mean[l - 1], A.mean(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(
            g.saturated_fraction[l - 1], np.mean(A * (1 - A) < 0.01, axis=1)
        )
    assert len(g.A_mean) == 2  # hidden layers only
    assert 0 < np.mean(g.saturated_fraction[0]) < 1  # raw pixels saturate part of layer 1
