"""One example's ops: the order a learner steps through, and every op's numbers re-derived."""

from __future__ import annotations

import numpy as np
import pytest

from netviz.core.activations import SEED_SIGMOID, TANH
from netviz.core.network import init_params
from netviz.core.steps import example_ops


@pytest.fixture(scope="module")
def ops():
    p = init_params((784, 16, 16, 10), np.random.default_rng(0), "seed")
    x = np.random.default_rng(1).integers(0, 256, 784)
    return p, x, example_ops(p, x, 3, SEED_SIGMOID, alpha=0.8)


def test_ops_come_in_the_order_of_the_lesson(ops, lesson_order):
    assert [op.address for op in ops[2]] == lesson_order
    assert [op.address for op in example_ops(ops[0], ops[1], 3, SEED_SIGMOID)] == lesson_order[:18]


def test_every_op_output_is_its_equation_applied_to_its_inputs(ops):
    """Re-derive each op from its own inputs with plain numpy, independently of the core."""
    _, _, seq = ops
    for op in seq:
        i, (name, out) = op.inputs, op.result
        kind = op.name
        if kind == "Z":
            prev = next(k for k in i if k not in (f"W{op.layer}", f"b{op.layer}"))
            want = i[f"W{op.layer}"] @ i[prev] + i[f"b{op.layer}"][:, None]
        elif kind == "A" and op.layer < 3:
            with np.errstate(over="ignore"):  # the walkthrough's own formula, naive
                want = 1 / (1 + np.exp(-i[f"Z{op.layer}"] + 1e-5))
        elif kind == "A":
            e = np.exp(i["Z3"] - i["Z3"].max())
            want = e / e.sum()
        elif kind == "cost":
            want = -np.sum(i["y"] * np.log(i["ŷ"]))
        elif kind == "dZ" and op.layer == 3:
            want = i["ŷ"] - i["y"]
        elif kind == "dZ":
            A = i[f"A{op.layer}"]
            want = A * (1 - A) * i[f"dA{op.layer}"]
        elif kind == "dW":
            prev = next(k for k in i if k != f"dZ{op.layer}")
            want = i[f"dZ{op.layer}"] @ i[prev].T
        elif kind == "db":
            want = i[f"dZ{op.layer}"].ravel()
        elif kind == "dA":
            want = i[f"W{op.layer}"].T @ i[f"dZ{op.layer}"]
        else:  # what one step on this example alone would make of W or b: W1′ from W1
            weights = name.removesuffix("′")
            want = i[weights] - i["α"] * i[f"d{weights}"]
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-300, err_msg=op.address)
        assert not out.flags.writeable


def test_the_inputs_of_each_op_are_the_outputs_of_earlier_ops(ops):
    p, x, seq = ops
    seen = {"x": x, "y": None, "α": None, **p.named()}
    for op in seq:
        for name in op.inputs:
            assert name in seen, f"{op.address} uses {name} before it is computed"
        name, value = op.result
        if op.phase != "upd":
            seen[name] = value


def test_equations_and_shapes_are_what_the_learner_reads(ops):
    by = {op.address: op for op in ops[2]}
    assert by["fwd/L1/Z"].equation == "Z1 = W1·x + b1"
    assert by["fwd/L1/Z"].shapes == "(16, 1) = (16, 784)·(784, 1) + (16,)"
    assert by["fwd/L2/A"].equation == "A2 = σ(Z2 − 1e−5)"
    assert by["fwd/L3/A"].equation == "ŷ = softmax(Z3)"
    assert by["bwd/L2/dZ"].equation == "dZ2 = A2(1−A2)⊙dA2"
    assert by["bwd/L1/dW"].equation == "dW1 = dZ1·xᵀ"
    assert by["bwd/L1/dW"].shapes == "(16, 784) = (16, 1)·(784, 1)ᵀ"
    assert by["upd/L3/W"].equation == "W3′ = W3 − α·dW3 (not applied)"


def test_an_update_op_names_its_result_apart_from_the_weights_it_never_replaces(ops):
    """Full-batch training updates once per epoch: a pass's update op only shows what one step
    on this example alone would give. Its result is W1′, so W1 keeps meaning the weights the
    pass used (before, the op's output was called W1 too, as if it replaced them)."""
    p, _, seq = ops
    for op in (op for op in seq if op.phase == "upd"):
        ((name, _),) = op.outputs.items()
        weights = f"{op.name}{op.layer}"
        assert name == f"{weights}′" and weights not in op.outputs
        np.testing.assert_array_equal(op.inputs[weights], p.named()[weights])
        assert "not applied" in op.equation and "←" not in op.equation


def test_scalars_read_as_scalar_in_the_shapes(ops):
    """The cost and α are 0-d: numpy's shape () reads as nothing, so the shapes say scalar."""
    by = {op.address: op for op in ops[2]}
    assert by["cost"].shapes.startswith("scalar = ")
    assert by["upd/L1/W"].shapes == "(16, 784) = (16, 784) − scalar·(16, 784)"
    assert by["upd/L1/b"].shapes == "(16,) = (16,) − scalar·(16,)"
    assert "()" not in "".join(op.shapes for op in ops[2])


def test_tanh_network_shows_its_own_slope():
    p = init_params((6, 4, 3), np.random.default_rng(2), "xavier")
    seq = example_ops(p, np.ones(6), 1, TANH)
    assert [op.equation for op in seq if op.address == "bwd/L1/dZ"] == ["dZ1 = (1−A1²)⊙dA1"]
