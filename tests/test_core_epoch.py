"""One math, two paths: the full-batch epoch equals the single-example passes, summed."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.activations import SEED_SIGMOID, SIGMOID, softmax
from netviz.core.epoch import (
    Plan,
    _softmax_and_costs,
    batch_gradients,
    chunk_forward,
    chunk_gradients,
    count_correct,
    cut,
)
from netviz.core.network import as_inputs, backward, costs, forward, init_params, predict, update
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
    g = batch_gradients(p, X, labels, SEED_SIGMOID, Plan(64))
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


LAYOUTS = [
    Plan(64, 24, by_pixel, transposed) for by_pixel in (False, True) for transposed in (False, True)
]
LAYOUT_IDS = ["by-example", "by-example-transposed", "by-pixel", "by-pixel-transposed"]
SIZES = [Plan(1, 1), Plan(7, 7), Plan(64, 64), Plan(64, 5), Plan(10_000, 10_000), Plan(10_000, 333)]


@pytest.mark.parametrize(
    "plan", SIZES + LAYOUTS, ids=[f"{p.chunk}-{p.part}" for p in SIZES] + LAYOUT_IDS
)
def test_no_plan_changes_the_sums(batch, plan):
    """Chunk and part sizes, memory orders, dW1's two forms: the same sums, to rounding."""
    p, X, labels = batch
    ref = batch_gradients(p, X, labels, SEED_SIGMOID, Plan(200))
    got = batch_gradients(p, X, labels, SEED_SIGMOID, plan)
    for a, b in zip(ref.dW + ref.db, got.dW + got.db, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert (got.correct, got.m) == (ref.correct, ref.m)
    assert got.cost == pytest.approx(ref.cost, rel=1e-12)


def test_count_correct_agrees_with_predict(batch):
    p, X, labels = batch
    want = int(np.sum(predict(p, X, SEED_SIGMOID) == labels))
    assert count_correct(p, X, labels, SEED_SIGMOID, Plan(33)) == want
    # without the costs a test set's accuracy does not need: the same ŷ, bit for bit
    chunk = cut(X, labels, Plan(64))[0]
    full, bare = (chunk_forward(p, chunk, SEED_SIGMOID, costs=c) for c in (True, False))
    assert "costs" in full and "costs" not in bare
    np.testing.assert_array_equal(full["A3"].view(np.uint64), bare["A3"].view(np.uint64))


@pytest.mark.parametrize("workers", [2, 3])
def test_any_number_of_worker_threads_gives_the_one_thread_epoch_bit_for_bit(sample, workers):
    X = as_inputs(sample.images[:1100], np.float64, scale_pixels=True)
    y = sample.labels[:1100].astype(np.intp)
    p = init_params((784, 16, 16, 10), np.random.default_rng(1), "xavier")
    with (
        Trainer(X, y, SIGMOID, 2.0, workers=1, plan=Plan(100)) as one,
        Trainer(X, y, SIGMOID, 2.0, workers=workers, plan=Plan(100)) as many,
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
    g = batch_gradients(p, X, labels, SEED_SIGMOID, Plan(37))
    cache = forward(p, X, SEED_SIGMOID)
    for l in (1, 2):
        A = cache[f"A{l}"]
        np.testing.assert_allclose(g.A_mean[l - 1], A.mean(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(
            g.saturated_fraction[l - 1], np.mean(A * (1 - A) < 0.01, axis=1)
        )
    assert len(g.A_mean) == 2  # hidden layers only
    assert 0 < np.mean(g.saturated_fraction[0]) < 1  # raw pixels saturate part of layer 1


# --- chunks and parts: the lit pixels, the order of the examples, the lessons' rules --------------


def test_a_chunk_keeps_exactly_the_pixels_lit_in_one_of_its_columns(batch):
    p, X, labels = batch
    chunks = cut(X, labels, Plan(50, 20))
    assert sorted(i for c in chunks for i in c.examples) == list(range(X.shape[1]))  # each once
    for chunk in chunks:
        np.testing.assert_array_equal(chunk.labels, labels[chunk.examples])
        assert [(p.start, p.stop) for p in chunk.parts] == [
            (a, min(a + 20, chunk.m)) for a in range(0, chunk.m, 20)
        ]
        for part in chunk.parts:
            columns = X[:, chunk.examples[part.start : part.stop]]
            want = [
                i for i in range(784) if any(columns[i, j] != 0 for j in range(columns.shape[1]))
            ]
            assert part.lit.tolist() == want
            np.testing.assert_array_equal(part.X, columns[want])
            assert 0 < len(want) < 784  # the sample's borders are dark


def test_a_pixel_dark_in_every_example_gets_no_gradient_and_its_weights_stay(batch):
    p, X, labels = batch
    dark = ~X.any(axis=1)
    g = batch_gradients(p, X, labels, SEED_SIGMOID, Plan(64))
    assert dark.sum() > 0 and not g.dW[0][:, dark].any()  # exactly 0, not rounding noise
    new = update(p, g.dW, g.db, 0.8, g.m)
    np.testing.assert_array_equal(new.W[0][:, dark], p.W[0][:, dark])


@pytest.mark.parametrize("plan", LAYOUTS, ids=LAYOUT_IDS)
def test_a_chunk_pass_is_the_lessons_forward_and_backward_on_its_columns(batch, plan):
    """The lean pass of the epoch against network.forward and network.backward, which show the
    lesson's equations one array at a time."""
    p, X, labels = batch
    chunk = cut(X, labels, plan)[1]
    columns, y = X[:, chunk.examples], chunk.labels
    cache = forward(p, columns, SEED_SIGMOID)
    ours = chunk_forward(p, chunk, SEED_SIGMOID)
    for name in ("Z1", "A1", "Z2", "A2", "Z3", "A3"):
        # The products add in another order: Z to ~1e−15 of its terms (|Z1| reaches hundreds
        # with raw pixels), and σ(Z) ≈ e^Z for Z ≪ 0 turns that into a relative error of A.
        np.testing.assert_allclose(ours[name], cache[name], rtol=1e-9, atol=1e-12, err_msg=name)
    grads = backward(p, cache, y, SEED_SIGMOID)
    g = chunk_gradients(p, chunk, SEED_SIGMOID, plan)
    for l in (1, 2, 3):
        np.testing.assert_allclose(g.dW[l - 1], grads[f"dW{l}"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g.db[l - 1], grads[f"db{l}"], rtol=1e-12, atol=1e-12)
    assert g.correct == int(np.sum(cache["A3"].argmax(axis=0) == y))
    assert g.cost_sum == pytest.approx(costs(cache["Z3"], y).sum(), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_exp_gives_the_lessons_softmax_and_costs_bit_for_bit(dtype):
    """The epoch takes ŷ and each column's cost from one exp; the lesson's softmax and costs
    (from log-softmax) take two. Logits far apart, equal, and a confidently wrong column."""
    rng = np.random.default_rng(5)
    Z = np.concatenate(
        [rng.normal(0, 8, (10, 300)), [[1000.0, 0.0, 1000.0]] + [[-1000.0, 0.0, -1000.0]] * 9],
        axis=1,
    ).astype(dtype)
    labels = np.append(rng.integers(0, 10, 300), [9, 3, 0])  # wrong; tied; right, cost 0
    y_hat, column_costs = _softmax_and_costs(Z.copy(), labels)
    for ours, lessons in ((y_hat, softmax(Z)), (column_costs, costs(Z, labels))):
        assert ours.dtype == dtype
        np.testing.assert_array_equal(
            ours.view(f"u{ours.itemsize}"), lessons.view(f"u{ours.itemsize}")
        )
    assert column_costs[-3] == pytest.approx(2000.0)  # ŷ_label underflows to 0; the cost does not
    assert column_costs[-1] == 0 and np.signbit(column_costs[-1])  # −0.0, as the lesson's
    assert column_costs.sum() == costs(Z, labels).sum()  # the epoch's Σ, as the lesson's


@pytest.mark.parametrize("plan", LAYOUTS, ids=LAYOUT_IDS)
def test_any_number_of_workers_gives_the_same_bits_with_every_layout(sample, plan):
    X = as_inputs(sample.images[:700])
    y = sample.labels[:700].astype(np.intp)
    p = init_params((784, 16, 16, 10), np.random.default_rng(3), "seed")
    results = []
    for workers in (1, 3):
        with Trainer(X, y, SEED_SIGMOID, 0.8, workers=workers, plan=plan) as trainer:
            results.append(trainer.epoch(p, 1))
    a, b = results
    for x, z in zip(a.params.W + a.params.b, b.params.W + b.params.b, strict=True):
        np.testing.assert_array_equal(x, z)
    assert (a.cost, a.train_accuracy) == (b.cost, b.train_accuracy)


@pytest.mark.parametrize("workers", [1, 3])
def test_the_epochs_test_accuracy_is_that_of_predict_on_the_test_set(sample, workers):
    X, y = as_inputs(sample.images[:600]), sample.labels[:600].astype(np.intp)
    Xt, yt = as_inputs(sample.images[600:1000]), sample.labels[600:1000].astype(np.intp)
    p = init_params((784, 16, 16, 10), np.random.default_rng(4), "seed")
    with Trainer(X, y, SEED_SIGMOID, 0.8, Xt, yt, workers=workers, plan=Plan(70)) as trainer:
        result = trainer.epoch(p, 1)
        again = trainer.measure(p, 0)
    assert result.test_accuracy == np.sum(predict(p, Xt, SEED_SIGMOID) == yt) / 400
    assert result.train_accuracy == np.sum(predict(p, X, SEED_SIGMOID) == y) / 600
    # measure() at the same weights reports the epoch's own figures, bit for bit
    assert (again.cost, again.train_accuracy, again.test_accuracy) == (
        result.cost,
        result.train_accuracy,
        result.test_accuracy,
    )


def test_chunks_take_the_examples_by_where_their_ink_lies(batch):
    """Leftmost inked column, then rightmost, then top row: worked out here image by image."""
    p, X, labels = batch
    examples = [int(i) for c in cut(X, labels, Plan(30)) for i in c.examples]
    keys = []
    for i in examples:
        image = X[:, i].reshape(28, 28)
        columns = [j for j in range(28) if image[:, j].any()]
        rows = [r for r in range(28) if image[r].any()]
        keys.append((columns[0], columns[-1], rows[0]))
    assert keys == sorted(keys)
    assert len(set(keys)) > 30  # not a trivial order


def test_a_chunk_of_ink_ordered_digits_has_fewer_lit_pixels_than_one_in_the_datas_order(batch):
    p, X, labels = batch
    grouped = np.mean([c.parts[0].lit.size for c in cut(X, labels, Plan(50))])
    as_given = np.mean([X[:, s : s + 50].any(axis=1).sum() for s in range(0, X.shape[1], 50)])
    assert grouped < 0.9 * as_given
