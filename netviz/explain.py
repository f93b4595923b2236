"""One or two plain sentences per op: what it does and why, as a teacher would say it."""

from __future__ import annotations

from .core.activations import Activation

_TEXT = {
    ("fwd", "Z"): "Each neuron of layer {l} adds up its inputs, each times its own weight, plus "
    "its bias: one score per neuron for how strongly this input matches what it looks for.",
    ("fwd", "A"): "The activation squashes each score into a firing strength; a score far from 0 "
    "pins the neuron near 0 or 1 (saturated), where small changes no longer move it.",
    ("fwd", "ŷ"): "Softmax turns the 10 output scores into probabilities that add up to 1; the "
    "largest is the network's guess.",
    ("cost", "cost"): "The cost is −log of the probability given to the right digit: near 0 when "
    "the network is sure and right, large when it is sure and wrong.",
    ("bwd", "dZ3"): "With softmax and cross-entropy together, the gradient of the cost with "
    "respect to the output scores is simply ŷ − y: the guess minus the truth.",
    ("bwd", "dZ"): "The chain rule: how much the cost changes with layer {l}'s scores is the "
    "gradient arriving from above times the activation's slope, which is tiny where the neuron "
    "is saturated.",
    ("bwd", "dW"): "Each weight's gradient is the error of the neuron it feeds times the input it "
    "carries: weights on inputs that were off (0) get no blame at all.",
    ("bwd", "db"): "A bias acts like a weight on an input that is always 1, so its gradient is "
    "the neuron's error itself.",
    ("bwd", "dA"): "Layer {l}'s error is sent back through its weights to say how much each "
    "neuron of the layer below contributed to it.",
    ("upd", "W"): "Gradient descent moves each weight a step α against its gradient. Full-batch "
    "training (e) takes this step with dW averaged over all m examples, not this one alone.",
    ("upd", "b"): "The biases move the same way: a step α against their gradient, averaged over "
    "the batch when training full-batch.",
}


def explain(phase: str, name: str, layer: int | None, last_layer: int, hidden: Activation) -> str:
    """The sentences for an op (``name`` as in ``Op.name``: Z, A, cost, dZ, dW, db, dA, W, b),
    in the words of the hidden layers' activation ``hidden``."""
    key = (phase, name)
    if phase == "fwd" and name == "A" and layer == last_layer:
        key = ("fwd", "ŷ")
    elif phase == "bwd" and name == "dZ" and layer == last_layer:
        key = ("bwd", "dZ3")
    return _TEXT.get(key, "").format(l=layer)
