"""Helpers shared by the Pilot tests (imported by them; pytest puts tests/ on the path)."""

from __future__ import annotations

import asyncio
import functools


def pilot_test(scenario):
    """Run an async Pilot scenario as a plain test (no asyncio plugin needed)."""

    @functools.wraps(scenario)
    def test(*args, **kwargs):
        asyncio.run(scenario(*args, **kwargs))

    return test


def screen_text(app) -> str:
    """What the terminal shows, as plain lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
