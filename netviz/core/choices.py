"""Names the command line offers, kept free of numpy so ``netviz --help`` starts at once.

``activations.ACTIVATIONS`` and ``network.init_params`` implement exactly these (a test checks).
"""

from __future__ import annotations

ACTIVATION_NAMES = ("sigmoid", "seed-sigmoid", "tanh", "relu")
INIT_SCHEMES = ("seed", "xavier", "he")
