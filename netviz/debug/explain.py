"""One or two plain sentences per op: what it does and why, as a teacher would say it.

The texts of the hidden layers' ops (A, dZ, and dW of a layer fed by a hidden layer) are written
in the words of the activation the network uses: its range, its slope as ``slope_label`` writes
it, and what saturated or off means for it. The others hold for any activation.
"""

from __future__ import annotations

from ..core.activations import Activation

_TEXT = {
    ("fwd", "Z"): "Each neuron of layer {l} adds up its inputs, each times its own weight, plus "
    "its bias: one score per neuron for how strongly this input matches what it looks for.",
    ("fwd", "ŷ"): "Softmax turns the 10 output scores into probabilities that add up to 1; the "
    "largest is the network's guess.",
    ("cost", "cost"): "The cost is −log of the probability given to the right digit: near 0 when "
    "the network is sure and right, large when it is sure and wrong.",
    ("bwd", "dZ3"): "With softmax and cross-entropy together, the gradient of the cost with "
    "respect to the output scores is simply ŷ − y: the guess minus the truth.",
    ("bwd", "dW1"): "Each weight's gradient is the error dZ{l} of the neuron it feeds times the "
    "pixel it carries: weights from blank pixels (0) get no gradient at all.",
    ("bwd", "db"): "A bias acts like a weight on an input that is always 1, so its gradient "
    "db{l} is the neuron's error dZ{l} itself.",
    ("bwd", "dA"): "dA{below} is the cost's sensitivity to each output of layer {below}: how much "
    "the cost changes per unit change of that output, summed back through W{l} from the neurons "
    "it feeds.",
    ("upd", "W"): "What one gradient-descent step on this example alone would give: "
    "W{l}′ = W{l} − α·dW{l}, a step of α times the gradient, downhill. Full-batch "
    "training (e) never applies it: it subtracts α·ΣdW{l}/m, α times the mean over all m examples.",
    ("upd", "b"): "What one gradient-descent step on this example alone would give: "
    "b{l}′ = b{l} − α·db{l}, a step of α times the gradient, downhill. Full-batch "
    "training (e) never applies it: it subtracts α·Σdb{l}/m, α times the mean over all m examples.",
}

# The hidden layers' texts, per kind of activation. {f} is the activation as the lesson writes
# it, {slope} its slope label, {range} the values the slope takes.
_SIGMOID = {
    ("fwd", "A"): "{f} squashes each score into a firing strength between 0 and 1; a score far "
    "from 0 pins it near 0 or 1 (saturated), where small changes of the score barely move it.",
    ("bwd", "dZ"): "The chain rule: the cost's sensitivity to layer {l}'s scores, dZ{l}, is dA{l} "
    "times the slope {slope}, from {range}. It is tiny where a neuron is saturated near 0 or 1, "
    "so little gradient flows back there.",
    ("bwd", "dW"): "Each weight's gradient is the error dZ{l} of the neuron it feeds times the "
    "input it carries, A{below}: where that σ output is near 0, the weight gets almost none.",
}
_TANH = {
    ("fwd", "A"): "{f} squashes each score into a firing strength between −1 and 1; a score "
    "far from 0 pins it near −1 or 1 (saturated), where small changes of the score barely move it.",
    ("bwd", "dZ"): "The chain rule: the cost's sensitivity to layer {l}'s scores, dZ{l}, is dA{l} "
    "times the slope {slope}, from {range}. It is tiny where a neuron is saturated near −1 or 1, "
    "so little gradient flows back there.",
    ("bwd", "dW"): "Each weight's gradient is the error dZ{l} of the neuron it feeds times the "
    "input it carries, A{below}: where that tanh output is near 0 the weight gets almost none, "
    "and where it is negative the sign flips.",
}
_RELU = {
    ("fwd", "A"): "{f}, the relu, passes each positive score on unchanged and turns the rest "
    "into 0: a neuron whose score is Z ≤ 0 is off and passes no gradient back.",
    ("bwd", "dZ"): "The chain rule: the cost's sensitivity to layer {l}'s scores, dZ{l}, is dA{l} "
    "times the slope {slope}. It passes dA{l} on unchanged where the neuron fired (Z > 0) and "
    "stops it where the neuron is off (Z ≤ 0).",
    ("bwd", "dW"): "Each weight's gradient is the error dZ{l} of the neuron it feeds times the "
    "input it carries, A{below}: where that relu is off (Z ≤ 0, A = 0) the weight gets none.",
}
HIDDEN_TEXTS = {"sigmoid": _SIGMOID, "seed-sigmoid": _SIGMOID, "tanh": _TANH, "relu": _RELU}


def explain(phase: str, name: str, layer: int | None, last_layer: int, hidden: Activation) -> str:
    """The sentences for an op (``name`` as in ``Op.name``: Z, A, cost, dZ, dW, db, dA, W, b),
    in the words of the hidden layers' activation ``hidden``; "" for an op it does not know."""
    texts = {**_TEXT, **HIDDEN_TEXTS[hidden.name]}
    key = (phase, name)
    if key == ("fwd", "A") and layer == last_layer:
        key = ("fwd", "ŷ")
    elif key == ("bwd", "dZ") and layer == last_layer:
        key = ("bwd", "dZ3")
    elif key == ("bwd", "dW") and layer == 1:
        key = ("bwd", "dW1")
    below = None if layer is None else layer - 1
    f = hidden.formula.format(Z="Z", A="A")
    return texts.get(key, "").format(
        l=layer, below=below, f=f, slope=hidden.slope_label, range=hidden.slope_range
    )
