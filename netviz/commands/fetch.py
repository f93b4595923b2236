"""``netviz data fetch mnist``: download the four official files, checked, into the cache."""

from __future__ import annotations

from pathlib import Path


def fetch(mirror: str | None, folder: str | None) -> int:
    """Fetch MNIST and say where it is and how to train on it."""
    from ..data.fetch import DEFAULT_MIRROR, fetch_mnist, rich_progress
    from ..safe import literal

    with rich_progress() as progress:
        dest = fetch_mnist(Path(folder) if folder else None, mirror or DEFAULT_MIRROR, progress)
    print(f"MNIST is in {literal(dest)} (content SHA-256 checked)")
    print(f"train on it: netviz train --data {literal(dest)}")
    return 0
