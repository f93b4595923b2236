"""Make docs/tour.svg, the README's picture of the tour: the seed preset on the shipped sample,
three epochs, then backprop at layer 2 of example 0, at 120×40.

    python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from netviz.core.presets import PRESETS
from netviz.run import RunSpec
from netviz.session import Session
from netviz.tui.app import create_app

HERE = Path(__file__).parent


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the trace name shown is then the same every time
        with Session(RunSpec(PRESETS["seed"]), trace="seed.nvtrace") as session:
            for _ in range(3):
                session.run_epoch()
            app = create_app(session)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                for key in "r", "s", "s", "n":
                    await pilot.press(key)
                await pilot.pause()
                app.save_screenshot(filename="tour.svg", path=str(HERE))
    print(f"wrote {HERE / 'tour.svg'}")


if __name__ == "__main__":
    asyncio.run(main())
