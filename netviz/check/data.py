"""The learner's data as netviz reads it: their layout (one column or one row per example, told
by W1's shape), their X turned to netviz's (inputs, m), their labels, and which column of X an
example is."""

from __future__ import annotations

import numpy as np

Array = np.ndarray


class LearnerData:
    """X, the labels and the layout, as the script's assignments reveal them."""

    def __init__(self) -> None:
        self.layout: str | None = None  # "col" (W1 is (16, 784)) or "row" (W1 is (784, 16))
        self.inputs: int | None = None  # W1's input size
        self.labels: Array | None = None  # (m,) digits
        self._raw: Array | None = None
        self._X: Array | None = None
        self._at: dict[bytes, int] | None = None

    def first_weights(self, W1: Array) -> None:
        """W1 as first assigned: it tells the layout and the input size."""
        self.layout = "row" if W1.shape[0] > W1.shape[1] else "col"
        self.inputs = max(W1.shape)

    def columns(self, kind: str, value: Array) -> Array:
        """``value`` in netviz's layout: one column per example, b and db as (n,)."""
        if self.layout == "row" and value.ndim == 2:
            value = value.T
        if kind in ("b", "db"):
            return value.ravel() if value.ndim == 2 and 1 in value.shape else value
        if kind in ("Z", "A", "yhat", "dZ", "dA", "x", "y") and value.ndim == 1:
            return value.reshape(-1, 1)
        return value

    def set_X(self, value: Array) -> None:
        self._raw, self._X, self._at = value, None, None

    def set_labels(self, value: Array) -> None:
        """A vector of digits, or a one-hot matrix (10 rows or 10 columns)."""
        if value.ndim == 1:
            if np.all(value == np.round(value)):
                self.labels = value.astype(int)
            return
        Y = value if value.shape[0] == 10 else value.T
        if np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1):
            self.labels = Y.argmax(axis=0)

    @property
    def X(self) -> Array | None:
        """X (inputs, m), oriented by W1's input size; None until both are known."""
        if self._X is None and self._raw is not None and self.inputs is not None:
            raw = self._raw
            if raw.shape[0] == self.inputs:
                self._X = raw
            elif raw.shape[1] == self.inputs:
                self._X = raw.T
        return self._X

    def column_of(self, x: Array) -> int | None:
        """Which column of X ``x`` is (by its bytes), or None."""
        X = self.X
        if X is None:
            return None
        if self._at is None:
            self._at = {np.ascontiguousarray(c).tobytes(): i for i, c in enumerate(X.T)}
        return self._at.get(np.ascontiguousarray(x.ravel()).tobytes())
