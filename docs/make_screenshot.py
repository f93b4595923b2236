"""Make docs/tour.svg, the README's picture of the tour: the seed preset on the shipped sample,
three epochs, then backprop at layer 2 of example 0, at 120×40 (or another size, written to
docs/tour-WxH.svg: at 200×50 the charts grow and each neuron's value shows beside its cell).

    python docs/make_screenshot.py [200x50]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from netviz.core.presets import PRESETS
from netviz.session.live import Session
from netviz.training.run import RunSpec
from netviz.tui.app import create_app

HERE = Path(__file__).parent


async def main(size: tuple[int, int] = (120, 40)) -> None:
    name = "tour.svg" if size == (120, 40) else f"tour-{size[0]}x{size[1]}.svg"
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the trace name shown is then the same every time
        with Session(RunSpec(PRESETS["seed"]), trace="seed.nvtrace") as session:
            for _ in range(3):
                session.run_epoch()
            app = create_app(session)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                for key in "r", "s", "s", "n":
                    await pilot.press(key)
                await pilot.pause()
                app.save_screenshot(filename=name, path=str(HERE))
    print(f"wrote {HERE / name}")


if __name__ == "__main__":
    width, _, height = (sys.argv[1] if len(sys.argv) > 1 else "120x40").partition("x")
    asyncio.run(main((int(width), int(height))))
