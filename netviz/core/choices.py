"""Names the command line offers, kept free of numpy so ``netviz --help`` starts at once.

``activations.ACTIVATIONS`` and ``network.init_params`` implement exactly these (a test checks).
"""

from __future__ import annotations

from typing import Literal, get_args

ActivationName = Literal["sigmoid", "seed-sigmoid", "tanh", "relu"]
InitScheme = Literal["seed", "xavier", "he"]
SplitName = Literal["seed", "official", "sizes"]
DtypeName = Literal["float64", "float32"]

ACTIVATION_NAMES: tuple[str, ...] = get_args(ActivationName)
INIT_SCHEMES: tuple[str, ...] = get_args(InitScheme)
