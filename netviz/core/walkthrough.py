"""The published walkthrough's training loop, one example at a time, with its naive formulas.

Kept as the yardstick the vectorised epoch is tested against (same update to ≤ 1e−10) and timed
against (benchmarks/); netviz never trains with it. Seed-preset network only: σ(Z) written
1/(1+exp(−Z+1e−5)), softmax exp(Z3+1e−5)/Σexp(Z3+1e−5), derivative A(1−A).
"""

from __future__ import annotations

import numpy as np

from .network import Params

Array = np.ndarray


def walkthrough_epoch(params: Params, X: Array, labels: Array, alpha: float) -> Params:
    """One epoch of the walkthrough: per-example forward and backward, summed, then one update.

    ``X`` is (784, m); returns W ← W − α·ΣdW/m, b ← b − α·Σdb/m. Naive exp overflows for Z below
    about −709.8 (raw pixels): there this σ is 0, after a warning that is silenced here as the
    walkthrough simply printed it, where netviz's sigmoid gives σ correctly rounded (a subnormal
    below 5.6e−309, or 0). For the same Z the two agree bit for bit everywhere else.
    """
    m = X.shape[1]
    W, b = [np.array(w) for w in params.W], [np.array(v).reshape(-1, 1) for v in params.b]
    dW, db = [np.zeros_like(w) for w in W], [np.zeros_like(v) for v in b]
    with np.errstate(over="ignore", under="ignore"):  # σ of Z near −709 is subnormal
        for i in range(m):
            x = X[:, i : i + 1]
            y = np.zeros((W[-1].shape[0], 1))
            y[labels[i]] = 1.0
            Z1 = W[0] @ x + b[0]
            A1 = 1 / (1 + np.exp(-Z1 + 1e-5))
            Z2 = W[1] @ A1 + b[1]
            A2 = 1 / (1 + np.exp(-Z2 + 1e-5))
            Z3 = W[2] @ A2 + b[2]
            A3 = np.exp(Z3 + 1e-5) / np.sum(np.exp(Z3 + 1e-5))
            dZ3 = A3 - y
            dZ2 = A2 * (1 - A2) * (W[2].T @ dZ3)
            dZ1 = A1 * (1 - A1) * (W[1].T @ dZ2)
            for g, d, a in ((2, dZ3, A2), (1, dZ2, A1), (0, dZ1, x)):
                dW[g] += d @ a.T
                db[g] += d
    return Params(
        tuple(w - alpha * (g / m) for w, g in zip(W, dW, strict=True)),
        tuple((v - alpha * (g / m)).ravel() for v, g in zip(b, db, strict=True)),
    )
