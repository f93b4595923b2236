"""The epoch's plan on this machine: measured once, at first use, and kept in the cache folder.

Which chunk size, block order and dW1 layout (a :class:`~netviz.core.epoch.Plan`) and how many
worker threads run an epoch fastest depends on the CPU, its caches and the BLAS kernels for it. On
an AMD EPYC with OpenBLAS's SkylakeX kernels, a float32 W1·X ran at half the speed with X's block
stored example by example as with it stored pixel by pixel, and a float64 (X·dZ1ᵀ)ᵀ at 0.7× the
speed of dZ1·Xᵀ; on an Intel machine with the same kernels the second was the faster, 1.7×
(benchmarks/RESULTS.md). So the candidates are timed on the first columns of the training set
itself (how many of its pixels are lit matters), with the network's own layer widths, and the
fastest is kept in ``$XDG_CACHE_HOME/netviz/calibration.json`` under a key naming the CPU, its
cores, the BLAS with its kernel, numpy's version, the dtype and the widths; another machine,
BLAS or network is measured again. ``netviz train -v`` says what was chosen and where from.

A plan fixes the order in which BLAS adds, so a run's bits depend on it; a trace records its
plan, and a fork trains with its parent's (:mod:`.fork`).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import product
from pathlib import Path

import numpy as np

from ..core.activations import Activation
from ..core.epoch import DEFAULT_PLAN, Plan
from ..core.network import init_params
from ..errors import NetvizError

SAMPLE = 12288  # columns timed; a training set this small or smaller keeps DEFAULT_PLAN
# (chunk, part) sizes tried: a worker's unit of work, and the columns of one layer-1 product
SIZES = ((512, 512), (2048, 512), (4096, 512), (4096, 1024))
ROUNDS = 3  # each candidate timed this many times, interleaved; its best time counts
MAX_WORKERS = 8
AS_GIVEN = "as given"  # where a plan comes from, as -v says it: given to the trainer
PARENTS_PLAN = "the parent's, as its trace records it"  # a fork's
CACHE_VERSION = 1  # the file's layout
# The epoch code's generation, part of each entry's key: raised when a change to the epoch
# changes what runs fastest, so each machine measures again, while an older netviz sharing the
# cache folder keeps its own entries (it reads and writes the others back untouched).
EPOCH_CODE = 2


@dataclass(frozen=True)
class Choice:
    """The plan and worker count a trainer uses, and in words where they come from."""

    plan: Plan
    workers: int
    source: str


def choose(
    X: np.ndarray,
    labels: np.ndarray,
    hidden: Activation,
    sizes: Sequence[int],
    plan: Plan | None = None,
    workers: int | None = None,
    make: Callable | None = None,
    notice: Callable[[str], None] | None = None,
    plan_from: str = AS_GIVEN,
) -> Choice:
    """The plan and workers to train ``X`` (784, m) with: those given, else this machine's
    measured ones (from the cache, or measured now and cached), else the defaults for a
    training set too small to be worth measuring. ``make``: the trainer class that measures,
    ``make(X, labels, hidden, alpha, workers=, plan=)`` (given, so this module needs not import
    the one that imports it). ``notice``: told in a line, before a measurement, that one is
    about to take a few seconds (the command shows it; this module prints nothing).
    ``plan_from``: where a given plan comes from, in words (``-v`` says it): :data:`AS_GIVEN`,
    :data:`PARENTS_PLAN`."""
    cores = max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    if plan is not None and workers is not None:
        return Choice(plan, workers, f"plan {plan_from}; worker count as given")
    given = (
        f"plan {plan_from}; worker count: "
        if plan is not None
        else "worker count as given; plan: "
        if workers
        else ""
    )
    if X.shape[1] <= SAMPLE:
        m = X.shape[1]
        what = "the default" if given else "the defaults"
        source = f"{given}{what}: {m:,} training examples are not worth measuring for"
        return Choice(plan or DEFAULT_PLAN, workers or cores, source)
    key, path = machine_key(X.dtype, sizes), cache_path()
    found = _read_cache(path).get(key)
    if found is not None:
        source = f"measured on this machine {found['measured']}; cached in {path}"
        measured = Choice(Plan.from_dict(found["plan"]), found["workers"], source)
    else:
        if notice is not None:
            notice(
                "measuring how this machine runs an epoch fastest (once for this CPU, BLAS, "
                "dtype and network; a few seconds)…"
            )
        measured = measure(X, labels, hidden, sizes, cores, make)
        try:
            _write_cache(path, key, measured)
            source = f"{measured.source}; cached in {path}"
        except (OSError, NetvizError) as e:
            source = f"{measured.source}; not cached: {e}"
        measured = Choice(measured.plan, measured.workers, source)
    if plan is not None:  # the workers were timed with the machine's own plan, not this one
        given += f"the best for this machine's own plan ({measured.plan.describe()}), "
    return Choice(plan or measured.plan, workers or measured.workers, given + measured.source)


def measure(
    X: np.ndarray,
    labels: np.ndarray,
    hidden: Activation,
    sizes: Sequence[int],
    cores: int,
    make: Callable,
) -> Choice:
    """Time every candidate plan on the first :data:`SAMPLE` columns of ``X`` with ``cores``
    workers, then the best plan with fewer workers; the fastest of each (about two seconds)."""
    Xs, ys = X[:, :SAMPLE], labels[:SAMPLE]
    params = init_params(sizes, np.random.default_rng(0), "xavier", X.dtype)
    layouts = product((False, True), (False, True))
    plans = [Plan(c, p, *layout) for (c, p), layout in product(SIZES, layouts)]
    times = _best_times(make, Xs, ys, hidden, params, [(p, cores) for p in plans])
    plan = min(plans, key=lambda p: times[p, cores])
    counts = sorted({w for w in (1, 2, 4, cores) if w <= cores})
    fewer = [(plan, w) for w in counts if w != cores]
    times.update(_best_times(make, Xs, ys, hidden, params, fewer))
    workers = min(counts, key=lambda w: times[plan, w])
    took = f"{1000 * times[plan, workers]:.1f} ms for {X[:, :SAMPLE].shape[1]:,} examples"
    return Choice(plan, workers, f"measured on this machine now: {took}")


def _best_times(make, X, labels, hidden, params, candidates) -> dict:
    """{(plan, workers): the best of :data:`ROUNDS` timed gradient passes over ``X``}."""
    trainers = {c: make(X, labels, hidden, 0.0, workers=c[1], plan=c[0]) for c in candidates}
    try:
        best = dict.fromkeys(candidates, float("inf"))
        for round_ in range(ROUNDS + 1):  # the first warms caches and thread pools: not kept
            for c, trainer in trainers.items():
                start = time.perf_counter()
                trainer.gradients(params)
                if round_:
                    best[c] = min(best[c], time.perf_counter() - start)
        return best
    finally:
        for trainer in trainers.values():
            trainer.close()


def machine_key(dtype: np.dtype, sizes: Sequence[int]) -> str:
    """What a measurement holds for: CPU, cores, BLAS and its kernel, numpy, dtype, widths and
    the epoch code's generation."""
    from threadpoolctl import threadpool_info

    blas = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture') or ''}".strip()
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return " | ".join(
        (
            cpu_name(),
            f"{os.cpu_count()} cores",
            ", ".join(blas) or "no BLAS found",
            f"numpy {np.__version__}",
            str(np.dtype(dtype)),
            "-".join(map(str, sizes)),
            f"epoch code {EPOCH_CODE}",
        )
    )


def cpu_name() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else what the platform module says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "an unknown CPU"


def cache_path() -> Path:
    from ..files import cache_home

    return cache_home() / "calibration.json"


def _read_cache(path: Path) -> dict:
    """The cached measurements by key; {} when there are none or the file is not ours."""
    try:
        data = json.loads(path.read_text())
        entries = data["entries"] if data.get("version") == CACHE_VERSION else {}
        for entry in entries.values():  # a damaged entry measures again, as a missing one
            Plan.from_dict(entry["plan"]), str(entry["measured"])
            if type(entry["workers"]) is not int or not 1 <= entry["workers"] <= MAX_WORKERS:
                raise ValueError(f"workers: {entry['workers']!r}")
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(path: Path, key: str, choice: Choice) -> None:
    from ..files import atomic_writer

    entries = _read_cache(path)
    entries[key] = {
        "plan": asdict(choice.plan),
        "workers": choice.workers,
        "measured": datetime.date.today().isoformat(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "w") as f:
        json.dump({"version": CACHE_VERSION, "entries": entries}, f, indent=1)
