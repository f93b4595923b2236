"""The network: parameters, initialisation, forward and backward passes, the update.

Layout is column-per-example, as in the lesson: ``X`` is (784, m), ``W1`` (16, 784), ``b1`` (16,).
Layer l maps A(l−1) to Zl = Wl·A(l−1) + bl and Al = f(Zl); the last layer's f is softmax, paired
with categorical cross-entropy so that dZL = ŷ − y.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation, log_softmax, softmax
from .choices import INIT_SCHEMES

Array = np.ndarray


def frozen(a: Array) -> Array:
    """``a`` marked read-only, so what crosses a boundary cannot be changed by the receiver."""
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Params:
    """Weights ``W[l-1]`` = Wl (n_l, n_{l−1}) and biases ``b[l-1]`` = bl (n_l,), read-only."""

    W: tuple[Array, ...]
    b: tuple[Array, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, input first: (784, 16, 16, 10)."""
        return (self.W[0].shape[1], *(w.shape[0] for w in self.W))

    @property
    def dtype(self) -> np.dtype:
        return self.W[0].dtype

    def named(self) -> dict[str, Array]:
        """{"W1": W1, "b1": b1, ...}, the names a learner sees on screen."""
        out: dict[str, Array] = {}
        for l, (W, b) in enumerate(zip(self.W, self.b, strict=True), start=1):
            out[f"W{l}"], out[f"b{l}"] = W, b
        return out

    @classmethod
    def from_named(cls, arrays: dict[str, Array]) -> Params:
        """Inverse of :meth:`named`; copies, so the result owns read-only arrays."""
        L = sum(1 for k in arrays if k.startswith("W"))
        W = tuple(frozen(np.array(arrays[f"W{l}"])) for l in range(1, L + 1))
        b = tuple(frozen(np.array(arrays[f"b{l}"])) for l in range(1, L + 1))
        return cls(W, b)


def init_params(
    sizes: Sequence[int], rng: np.random.Generator, scheme: str = "seed", dtype=np.float64
) -> Params:
    """Fresh parameters for layer widths ``sizes`` (input first), drawn from ``rng``.

    - ``seed``: the walkthrough's ``rand − 0.5``: every weight and bias uniform in [−0.5, 0.5),
      drawn in the order W1, b1, W2, b2, ...
    - ``xavier``: Glorot uniform, W ~ U(±√(6/(n_in+n_out))), biases 0.
    - ``he``: W ~ N(0, 2/n_in), biases 0.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r} (known: {', '.join(INIT_SCHEMES)})")
    W, b = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        if scheme == "seed":
            w, bias = rng.random((n_out, n_in)) - 0.5, rng.random(n_out) - 0.5
        elif scheme == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            w, bias = rng.uniform(-limit, limit, (n_out, n_in)), np.zeros(n_out)
        else:
            w, bias = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)), np.zeros(n_out)
        W.append(frozen(w.astype(dtype)))
        b.append(frozen(bias.astype(dtype)))
    return Params(tuple(W), tuple(b))


def forward(params: Params, X: Array, hidden: Activation) -> dict[str, Array]:
    """All layers' Z and A for inputs ``X`` (784, m): {"A0": X, "Z1", "A1", ..., "ZL", "AL"}.

    Z1 = W1·X + b1    # (16, m) = (16, 784)·(784, m) + (16, 1)
    A1 = f(Z1)        # (16, m); the last layer uses softmax: AL = ŷ (10, m)
    """
    cache = {"A0": X}
    L = len(params.W)
    for l, (W, b) in enumerate(zip(params.W, params.b, strict=True), start=1):
        Z = W @ cache[f"A{l - 1}"] + b[:, None]
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = softmax(Z) if l == L else hidden.forward(Z)
    return cache


def one_hot(labels: Array, classes: int, dtype=np.float64) -> Array:
    """Y (classes, m) with Y[labels[i], i] = 1."""
    Y = np.zeros((classes, labels.shape[0]), dtype=dtype)
    Y[labels, np.arange(labels.shape[0])] = 1.0
    return Y


def costs(ZL: Array, labels: Array) -> Array:
    """Per-example cross-entropy −Σ_k y_k log ŷ_k = −log ŷ_label, shape (m,), from the logits.

    Taken from log-softmax rather than log(ŷ) so a confidently wrong example costs a large finite
    number instead of log 0 = −inf.
    """
    return -log_softmax(ZL)[labels, np.arange(labels.shape[0])]


def backward(params: Params, cache: dict[str, Array], labels: Array, hidden: Activation) -> dict:
    """Gradients summed over the m examples in ``cache``: {"dZL", "dWL", "dbL", "dA(L−1)", ...}.

    dZ3 = ŷ − y          dW3 = dZ3·A2ᵀ   db3 = Σ_i dZ3   dA2 = W3ᵀ·dZ3
    dZ2 = A2(1−A2)⊙dA2   dW2 = dZ2·A1ᵀ   ...             (the slope comes from ``hidden``)
    The dZ and dA entries stay per example (n_l, m); dW and db are sums, as the full-batch update
    W ← W − α·ΣdW/m needs.
    """
    AL = cache[f"A{len(params.W)}"]
    return backward_from(params, cache, AL - one_hot(labels, AL.shape[0], AL.dtype), hidden)


def backward_from(params: Params, cache: dict[str, Array], dZL: Array, hidden: Activation) -> dict:
    """The backward pass of :func:`backward` from a given output error ``dZL`` (n_L, m).

    ``backward`` starts it from dZL = ŷ − y, the gradient of the cost with respect to ZL; any
    other quantity's gradient with respect to ZL flows back through the same rules (the input
    gradient of one output's score starts from dZL = e_k, see :mod:`netviz.core.saliency`).
    """
    L = len(params.W)
    grads: dict[str, Array] = {}
    dZ = dZL
    for l in range(L, 0, -1):
        if l < L:
            dZ = hidden.slope(cache[f"A{l}"]) * grads[f"dA{l}"]
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T
        grads[f"db{l}"] = dZ.sum(axis=1)
        if l > 1:  # dA0 = W1ᵀ·dZ1, the input gradient, is no step of training: see saliency
            grads[f"dA{l - 1}"] = params.W[l - 1].T @ dZ
    return grads


def update(
    params: Params, dW: Sequence[Array], db: Sequence[Array], alpha: float, m: int
) -> Params:
    """One gradient-descent step from summed gradients: W ← W − α·ΣdW/m, b ← b − α·Σdb/m."""
    return Params(
        tuple(frozen(W - alpha * (g / m)) for W, g in zip(params.W, dW, strict=True)),
        tuple(frozen(b - alpha * (g / m)) for b, g in zip(params.b, db, strict=True)),
    )


def predict(params: Params, X: Array, hidden: Activation) -> Array:
    """The predicted digit of each column of ``X``: argmax of ŷ, shape (m,)."""
    return forward(params, X, hidden)[f"A{len(params.W)}"].argmax(axis=0)


def as_inputs(images: Array, dtype=np.float64, scale_pixels: bool = False) -> Array:
    """X (784, m) from images (m, 784) uint8: raw 0–255 values, or divided by 255 into [0, 1].

    The result is a transposed view of a row-per-example array, so each example's pixels stay
    contiguous and a run of columns X[:, i:j] is one contiguous block of memory.
    """
    X = images.astype(dtype)
    if scale_pixels:
        X /= 255
    return frozen(X).T
