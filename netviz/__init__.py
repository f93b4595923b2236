"""netviz: an educational step-through debugger and visualiser for a from-scratch numpy network."""

from __future__ import annotations

__version__ = "0.1.0"
