"""Which pixels move the guess: the gradient with respect to the input x, for one example.

The backward pass stops at dZ1 because training needs nothing further down; one more step of
the same chain rule gives the gradient with respect to the pixels themselves:

    dA0 = dC/dx = W1ᵀ·dZ1        # (784, 1) = (784, 16)·(16, 1)

An entry > 0 (drawn red) means making that pixel brighter raises the cost; < 0 (blue) lowers it.

Two things can be differentiated, each starting the same backward pass from its own dZL:

- the cost C = −log ŷ[label] (``label``): dZL = ŷ − y, the pass training runs;
- the score of one output k (``output``): the logit ZL[k], output k's evidence before softmax,
  dZL = e_k (1 at k, 0 elsewhere). Its gradient does not depend on the other outputs' values,
  so it shows what the network takes as evidence for digit k alone. (The other candidate,
  log ŷ[k], is minus the cost with label k: ask for ``label=k`` and flip the sign.)

The gradient is with respect to x as the network is given it: raw 0–255 values for the seed
preset, pixels/255 when the recipe scales them. Per grey level of a scaled recipe it is the
returned value divided by 255.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .network import Params, backward_from, forward, one_hot

Array = np.ndarray


def input_gradient(
    params: Params,
    x: Array,
    hidden: Activation,
    label: int | None = None,
    output: int | None = None,
) -> Array:
    """dC/dx for one example ``x`` (784,) or (784, 1), in ``x``'s shape.

    Give ``label`` for the cost −log ŷ[label], or ``output`` = k for the score ZL[k] (see the
    module's docstring); exactly one of them. ``x`` is what the network is given (raw or scaled
    pixels, as the recipe says), and the gradient is with respect to that.
    """
    shape = np.shape(x)
    column = np.asarray(x, dtype=params.dtype).reshape(-1, 1)
    if column.shape[0] != params.sizes[0]:
        raise ValueError(f"x has {column.shape[0]} values; the network takes {params.sizes[0]}")
    cache = forward(params, column, hidden)
    return input_gradient_from(params, cache, hidden, label, output).reshape(shape)


def input_gradient_from(
    params: Params,
    cache: dict[str, Array],
    hidden: Activation,
    label: int | None = None,
    output: int | None = None,
) -> Array:
    """dA0 = W1ᵀ·dZ1 (784, 1) from a forward pass already made: ``cache`` as :func:`forward`
    returns it for one example ({"A0": x (784, 1), "Z1", "A1", …, "AL": ŷ (10, 1)}), or as a
    trace recorded it. ``label`` or ``output`` as in :func:`input_gradient`."""
    dZL = output_error(cache[f"A{len(params.W)}"], label, output)
    dZ1 = backward_from(params, cache, dZL, hidden)["dZ1"]
    return params.W[0].T @ dZ1  # (784, 1) = (784, 16)·(16, 1)


def output_error(yhat: Array, label: int | None = None, output: int | None = None) -> Array:
    """dZL (n_L, 1), where the backward pass starts: ŷ − y for the cost of ``label``, or e_k
    for the score ZL[k] of ``output`` = k."""
    if (label is None) == (output is None):
        raise ValueError("give label (the cost −log ŷ[label]) or output (the score ZL[k])")
    classes = yhat.shape[0]
    k = label if output is None else output
    if not 0 <= k < classes:
        raise ValueError(
            f"{'label' if output is None else 'output'} {k}: outputs are 0–{classes - 1}"
        )
    e_k = one_hot(np.array([k]), classes, yhat.dtype)  # (n_L, 1)
    return yhat - e_k if output is None else e_k
