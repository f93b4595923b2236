"""Animated GIFs written a frame at a time, with one palette for every frame.

Pillow's ``save(save_all=True)`` keeps every frame in memory until the end (500 epochs of a
640×700 figure would be 220 MB); here each frame is encoded as it comes, with Pillow's GIF
header and frame encoders (``getheader``, ``getdata``). One fixed palette, the colormap's own
colours plus greys for text and lines, means a value has the same colour in every frame, as
the fixed colour scale promises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

import numpy as np

CMAP_COLOURS = 200  # of the 256 palette entries; the other 56 are greys (text, lines, paper)


def palette(cmap_name: str, bad: str) -> bytes:
    """768 bytes: the colormap sampled evenly, its NaN colour, then greys from black to white."""
    import matplotlib
    from matplotlib.colors import to_rgb

    cmap = matplotlib.colormaps[cmap_name]
    colours = cmap(np.linspace(0, 1, CMAP_COLOURS))[:, :3]
    greys = np.linspace(0, 1, 256 - CMAP_COLOURS - 1)[:, None].repeat(3, axis=1)
    rows = np.vstack([colours, [to_rgb(bad)], greys])
    return (np.round(rows * 255).astype(np.uint8)).tobytes()


def write_gif(
    out: IO[bytes], frames: Iterable[np.ndarray], durations: Iterable[int], colours: bytes
) -> int:
    """Write ``frames`` ((h, w, 3) uint8, all one size) to ``out`` as a looping GIF, frame i
    shown ``durations[i]`` ms, each mapped to the nearest of ``colours`` (768 bytes); the
    number of frames written."""
    from PIL import GifImagePlugin, Image

    table = np.frombuffer(colours, np.uint8).reshape(-1, 3).astype(np.int32)
    count = 0
    for rgb, duration in zip(frames, durations, strict=False):
        frame = Image.fromarray(nearest(rgb, table), "P")
        frame.putpalette(colours)
        if count == 0:
            header, _ = GifImagePlugin.getheader(frame, info={"loop": 0, "duration": duration})
            out.writelines(header)
        out.writelines(GifImagePlugin.getdata(frame, duration=duration))
        count += 1
    out.write(b";")  # the GIF trailer
    return count


def nearest(rgb: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(h, w) uint8: the index in ``table`` (256, 3) of each pixel's nearest colour, exactly
    (Pillow's own quantizer rounds colours first: white would become a light grey)."""
    packed = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8)
    packed |= rgb[..., 2]
    found, where = np.unique(packed, return_inverse=True)  # a figure has a few thousand colours
    colours = np.stack([found >> 16, (found >> 8) & 255, found & 255], axis=1)
    distance = ((colours[:, None, :] - table[None, :, :]) ** 2).sum(axis=2)
    return distance.argmin(axis=1).astype(np.uint8)[where].reshape(rgb.shape[:2])
