"""Named training recipes: the published walkthrough (``seed``) and a better one (``tuned``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .choices import ActivationName, DtypeName, InitScheme, SplitName


@dataclass(frozen=True)
class Preset:
    """A recipe: network shape, activation, init, learning rate, epochs, pixel scaling, split."""

    name: str
    summary: str
    sizes: tuple[int, ...] = (784, 16, 16, 10)
    activation: ActivationName = "sigmoid"
    init: InitScheme = "seed"
    alpha: float = 0.8
    epochs: int = 500
    scale_pixels: bool = False  # True: pixels / 255 into [0, 1]; False: raw 0–255
    split: SplitName = "seed"
    dtype: DtypeName = "float64"

    def recipe(self) -> dict:
        """The fields that decide a run, as plain values (the summary describes the stock preset,
        not one changed by options, so it is left out)."""
        fields = asdict(self)
        del fields["summary"]
        return fields

    def with_(self, **changes) -> Preset:
        """A copy with some fields changed (options given on the command line)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "seed",
            "the published walkthrough: σ(Z − 1e−5), uniform [−0.5, 0.5) init, α 0.8, "
            "raw 0–255 pixels, 500 full-batch epochs on the first 30,000 rows",
            activation="seed-sigmoid",
        ),
        Preset(
            "tuned",
            "the same 784-16-16-10 sigmoid network with pixels scaled to [0, 1], Xavier init "
            "and α 4 (best of 1, 2, 3, 4, 6 on the seed split of MNIST, 500 epochs)",
            init="xavier",
            alpha=4.0,
            scale_pixels=True,
        ),
    )
}
