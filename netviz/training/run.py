"""From a recipe to a run ready to train: preset and options, data split, inputs, first weights.

Shared by the CLI commands and the session, so `netviz train`, `netviz gradcheck` and the
tour build the same network from the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.activations import Activation, activation
from ..core.network import Params, as_inputs, init_params
from ..core.presets import PRESETS, Preset
from ..data import Digits, Source, load_source, split
from ..errors import NetvizError

Array = np.ndarray


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run: the recipe, the data and how it is cut, the RNG seed."""

    preset: Preset
    data: str = "sample"
    train_size: int | None = None
    test_size: int | None = None
    shuffle_seed: int | None = None
    seed: int = 0

    @property
    def layout(self) -> str:
        """``784-16-16-10 seed-sigmoid``: the network in a few characters."""
        return "-".join(map(str, self.preset.sizes)) + " " + self.preset.activation


@dataclass(frozen=True, eq=False)
class Run:
    """A prepared run: the data as the network sees it and the weights it starts from.

    ``X`` (784, m) and ``X_test`` (784, m_test) are float inputs (raw or scaled pixels as the
    preset says); ``y`` and ``y_test`` the labels as integer indices.
    """

    spec: RunSpec
    source: Source
    train: Digits
    test: Digits
    X: Array
    y: Array
    X_test: Array
    y_test: Array
    hidden: Activation
    params: Params


def preset(name: str) -> Preset:
    """The preset called ``name``; a NetvizError lists the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise NetvizError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})") from None


def prepare(spec: RunSpec, source: Source | None = None) -> Run:
    """Load and split the data (``source``: already loaded from ``spec.data``), convert it to
    inputs, and draw the first weights."""
    p = spec.preset
    try:
        hidden = activation(p.activation)
        dtype = np.dtype(p.dtype)
    except (ValueError, TypeError) as e:
        raise NetvizError(str(e)) from None
    source = source or load_source(spec.data)
    train, test = split(source, p.split, spec.train_size, spec.test_size, spec.shuffle_seed)
    if len(train) == 0:
        raise NetvizError(f"{source.name}: the split leaves no training examples")
    sizes = (train.images.shape[1], *p.sizes[1:-1], 10)
    params = init_params(sizes, np.random.default_rng(spec.seed), p.init, dtype)
    return Run(
        spec,
        source,
        train,
        test,
        as_inputs(train.images, dtype, p.scale_pixels),
        train.labels.astype(np.intp),
        as_inputs(test.images, dtype, p.scale_pixels),
        test.labels.astype(np.intp),
        hidden,
        params,
    )
