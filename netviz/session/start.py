"""Starting a live run: its data and weights, its trainer and the recorder of its trace.

:func:`start_run` makes all three and changes nothing else, so a session can make its next run
(a reset) before it lets the current one go: one that cannot be made (no room for its trace,
saved weights of another network) is refused, and the current run goes on as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.network import Params
from ..errors import NetvizError
from ..training.calibrate import AS_GIVEN, PARENTS_PLAN
from ..training.recording import Recorder, RecordOptions, default_trace_path
from ..training.run import Run, RunSpec, prepare
from ..training.trainer import Trainer

if TYPE_CHECKING:
    from ..training.fork import Fork

TAKEN_RETRIES = 100  # default trace names tried when other processes take them first


@dataclass(frozen=True, eq=False)
class Started:
    """A run ready to step: ``first``, the epochs its weights come after (a fork's K)."""

    run: Run
    first: int
    trainer: Trainer
    recorder: Recorder | None


def start_run(
    spec: RunSpec,
    *,
    trace: str | Path | None,
    fork: Fork | None,
    weights: tuple[Params, str] | None,
    record: RecordOptions | None,
    workers: int | None,
    notice: Callable[[str], None] | None,
) -> Started:
    """A run of ``spec``, or ``fork``'s, or from saved ``weights`` (params, where from), with
    its trainer and, unless ``record`` is None, its recorder on ``trace`` (None: a new default
    name in ``traces/``). NetvizError, with nothing left open, if any of it cannot be made."""
    run = fork.run if fork is not None else prepare(spec)
    meta, first = (fork.meta, fork.epoch) if fork is not None else (None, 0)
    if weights is not None:
        params, origin = weights
        if params.sizes != run.params.sizes or params.dtype != run.params.dtype:
            theirs, ours = ("-".join(map(str, p.sizes)) for p in (params, run.params))
            raise NetvizError(f"{origin}: a {theirs} network in {params.dtype}; the run is "
                              f"{ours} in {run.params.dtype}")  # fmt: skip
        run, meta = replace(run, params=params), {"start_weights": origin}
    plan_from = AS_GIVEN if fork is None else PARENTS_PLAN
    trainer = Trainer(
        run.X, run.y, run.hidden, spec.preset.alpha, run.X_test, run.y_test, workers,
        plan=fork.plan if fork is not None else None, sizes=run.params.sizes,
        notice=notice, plan_from=plan_from,
    )  # fmt: skip
    recorder = None
    if record is not None:
        meta = {**(meta or {}), "plan": asdict(trainer.plan)}
        try:
            recorder = _recorder(run, first, meta, record, trace)
        except BaseException:
            trainer.close()  # BLAS gets its threads back
            raise
    return Started(run, first, trainer, recorder)


def _recorder(
    run: Run, first: int, meta: Mapping, record: RecordOptions, trace: str | Path | None
) -> Recorder:
    """A recorder on ``trace`` (``--trace``), or on a new default name. Another process
    started in the same second (another browser session of ``netviz serve``) may take the
    name between default_trace_path's look and the write: then the next free one is taken."""
    for _ in range(TAKEN_RETRIES):
        path = trace or default_trace_path(run)
        try:
            return Recorder(path, run, record, start=first, meta=meta)
        except NetvizError:
            if trace is not None or not Path(path).exists():
                raise
    raise NetvizError(f"{path}: already exists; choose another trace name")
