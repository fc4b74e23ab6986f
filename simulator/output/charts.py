"""The standard charts written into a results folder, drawn in worker processes: rendering
is the slowest step of a run and holds the GIL, so with several cores the charts are drawn in
forked processes (one started early, loading matplotlib while the run computes).

    from simulator.output.charts import write_charts
    write_charts(result.chart_data(), Path("out/manila"))
"""
from __future__ import annotations

import gc
import importlib
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.present.plots import CHART_FORMATS, CHART_FUNCTIONS, chart_function

if TYPE_CHECKING:
    from simulator.results.chartdata import ChartData


def _draw(stem: str, d: ChartData, out_dir: Path, formats: tuple[str, ...],
          dpi: int) -> list[Path]:
    from simulator.present.plots.style import quiet_warnings, save

    plot = chart_function(stem)
    with quiet_warnings():
        return save(plot(d), out_dir, stem, formats, dpi)


def chart_jobs(d: ChartData, out_dir: Path, formats: Iterable[str] = CHART_FORMATS,
               dpi: int = 150) -> list[tuple[Callable[..., Any], tuple]]:
    """The work of :func:`write_charts` as ``(function, args)`` jobs for :func:`run_jobs`,
    so other rendering (a report) can share the same worker processes.
    """
    return [(_draw, (stem, d, Path(out_dir), tuple(formats), dpi)) for stem in CHART_FUNCTIONS]


def _worker_init() -> None:
    """In a drawing process: leave Ctrl-C to the main process, which stops the drawing and
    removes what it wrote (a worker of its own would print a KeyboardInterrupt traceback),
    and die with the main process however it ends (a killed run must not leave a drawing
    process writing into its temporary folder). The second part is Linux's
    PR_SET_PDEATHSIG; elsewhere the worker ends when its pool's pipe closes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:  # the parent died before the call: go now
            os._exit(1)


#: In the warm drawing process (:func:`start_workers`): its drawers, forked as soon as it has
#: loaded matplotlib, so that a batch of jobs starts drawing at once instead of waiting for
#: processes to be forked (some 20 ms, after the run, when every millisecond is waited for).
#: None elsewhere.
_drawers: ProcessPoolExecutor | None = None


def _warm_up() -> None:
    """In the drawing process: :func:`_worker_init`, then load matplotlib, the chart modules
    and the fonts, so that charts start drawing at once; then fork the drawers
    (:data:`_drawers`, one per core) that will draw them.
    """
    global _drawers
    _worker_init()
    import io

    from simulator.present.plots.style import figure

    for module, _ in CHART_FUNCTIONS.values():
        importlib.import_module(f"simulator.present.plots.{module}")
    fig, ax = figure()
    ax.set_title("$1M", fontweight="bold")
    fig.savefig(io.BytesIO(), format="png", dpi=10)
    # matplotlib's objects stay for good: frozen, the drawers' garbage collections do not
    # walk them while drawing (a few percent of the drawing time).
    gc.freeze()
    workers = os.cpu_count() or 1
    if _can_fork(workers):
        _drawers = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"),
                                       initializer=_worker_init)
        for _ in range(workers):
            _drawers.submit(int)  # forks them all now
        # A pool's process waits for its children as it exits, before any atexit hook would
        # stop them: stop them first, in a multiprocessing finalizer that runs before that
        # wait. Killed, not asked to stop: by then nothing they could still draw is wanted,
        # and a polite stop would take a round of messages (some 10 ms) at every exit.
        from multiprocessing.util import Finalize

        Finalize(None, _stop_drawers, exitpriority=100)


def _stop_drawers() -> None:
    """In the warm drawing process as it exits: end its drawers at once."""
    for process in mp.active_children():
        process.kill()


def start_workers() -> ProcessPoolExecutor | None:
    """Fork one drawing process now and have it load matplotlib in the background, then
    fork its drawers (one per core), each starting with matplotlib loaded; give its pool to
    :func:`start_jobs`, which hands it the jobs in one batch to share among the drawers.

    Started as a run begins, the loading overlaps the parts of the run that use one core
    (loading the scenario, which imports scipy, and the compiled kernels), and happens once,
    not once per drawer. Meant for a command-line process: it also freezes the objects the
    process holds so far (see below).
    Returns None where that cannot help or is unsafe: one core, no ``fork``, or other threads
    already running (forking a process with live threads can deadlock the child). The caller
    shuts the pool down (``pool.shutdown()``).
    """
    if not _can_fork(2):
        return None
    # What the process holds so far (mostly modules) stays for good: moved out of the garbage
    # collector's sight, it is not copied into the child page by page as collections touch
    # it (the use gc.freeze documents), nor traversed again at every collection and at exit.
    gc.freeze()
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"), initializer=_warm_up)
    pool.submit(int)  # start it now
    return pool


def _can_fork(workers: int) -> bool:
    return (workers > 1 and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and "fork" in mp.get_all_start_methods())


def start_jobs(jobs: list[tuple[Callable[..., Any], tuple]],
               pool: ProcessPoolExecutor | None = None) -> Callable[[], list[Any]]:
    """Start each ``function(*args)`` and return a function that waits for them and returns
    their results in job order.

    With ``pool`` (from :func:`start_workers`) the jobs go to its drawing process as one
    batch; without, they run in processes forked now where several cores make that pay,
    else one after another when waited for. Rendering holds the GIL, so threads would not
    help. Put the longest job first.
    """
    if pool is not None:
        return pool.submit(run_jobs, jobs).result
    if _drawers is not None:  # in the warm drawing process: its drawers are ready
        futures = [_drawers.submit(fn, *args) for fn, args in jobs]
        return lambda: [f.result() for f in futures]
    workers = min(len(jobs), os.cpu_count() or 1)
    if not _can_fork(workers):
        return lambda: [fn(*args) for fn, args in jobs]
    own = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"),
                              initializer=_worker_init)
    futures = [own.submit(fn, *args) for fn, args in jobs]

    def wait() -> list[Any]:
        try:
            return [f.result() for f in futures]
        finally:
            own.shutdown(cancel_futures=True)

    return wait


def run_jobs(jobs: list[tuple[Callable[..., Any], tuple]],
             pool: ProcessPoolExecutor | None = None) -> list[Any]:
    """Run each ``function(*args)`` (see :func:`start_jobs`; with several cores, in forked
    processes) and return the results in job order.
    """
    return start_jobs(jobs, pool)()


def write_charts(d: ChartData, out_dir: Path, formats: Iterable[str] = CHART_FORMATS,
                 dpi: int = 150, pool: ProcessPoolExecutor | None = None
                 ) -> dict[str, list[Path]]:
    """Draw every chart in :data:`CHARTS` and write it to ``out_dir/<stem>.<format>``
    (``dpi`` pixels per inch for PNG); returns ``{stem: [paths]}``.

    Rendering is the slowest step of a run (about 0.2 s a chart and format here) and holds
    the GIL, so with several cores the charts are drawn in worker processes (``pool``, or
    ones forked for the purpose).
    """
    return dict(zip(CHART_FUNCTIONS, run_jobs(chart_jobs(d, out_dir, formats, dpi), pool),
                    strict=False))
