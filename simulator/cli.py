"""The ``kposim`` command line.

Exit codes: 0 success, 1 internal error (a bug: one line asking for a report), 2 bad input
(scenario file, options, output folder, a full or read-only disk), 130 interrupted. Every
command goes through one error path (:func:`one_error_path`): no command prints a traceback
unless ``KPOSIM_DEBUG=1`` is set, which re-raises internal errors for developers.
"""
from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import click

from simulator.defaults import DEFAULT_SEED, SAMPLING
from simulator.scenario.model import ScenarioError, load_scenario


class _OnFirstUse:
    """Module ``name``, imported on the first attribute asked of it: ``kposim validate`` and
    ``kposim schema`` then never load the engine and numba (most of their start-up). The one
    place the command line defers an import; the import itself is the ordinary one, so an
    interrupted import leaves nothing half-loaded behind.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


engine = _OnFirstUse("simulator.engine.run")

REPORT_HINT = ("this is a bug in kposim: please report it to its maintainers with the command "
               "and the scenario file; KPOSIM_DEBUG=1 shows the traceback")


def _one_line(text: str) -> str:
    """Any message on one line: line breaks become "; ", runs of blanks one space."""
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*[\r\n]+\s*", "; ", str(text).strip()))


class BadInput(click.ClickException):
    """A user error: one clear message, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"error: {_one_line(self.format_message())}", err=True)


#: Error classes that are bad input, by module (looked up only if the module was imported).
_BAD_INPUT_CLASSES = {
    "simulator.scenario.model": ("ScenarioError",), "simulator.distributions.base": ("FieldError",),
    "simulator.scenario.paths": ("PathError",), "simulator.engine.run": ("NonFiniteError",),
    "simulator.output.write": ("OutputExistsError",), "simulator.present.report": ("ReportError",),
    "simulator.analysis.fit": ("DataError", "FitError"), "simulator.analysis.elicit": ("ElicitError",),
    "simulator.engine.cluster": ("ClusterError",),
}
#: What an operating-system error says about the input or the disk, not about kposim.
_USER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG,
                errno.EFBIG, errno.ENOENT, errno.ELOOP}


def _bad_input_message(e: BaseException) -> str | None:
    """The one-line message of an exception that is bad input (exit 2), else None."""
    if isinstance(e, ScenarioError):
        return e.one_line()
    for module, names in _BAD_INPUT_CLASSES.items():
        m = sys.modules.get(module)
        for name in names:
            cls = getattr(m, name, None) if m is not None else None
            if cls is not None and isinstance(e, cls):
                field = getattr(e, "field", None)
                return f"{field}: {e}" if name == "FieldError" and field else str(e)
    if isinstance(e, OSError) and (e.errno in _USER_ERRNOS or isinstance(
            e, PermissionError | FileExistsError)):
        if e.filename is None:
            return str(e)
        what = "cannot write" if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS,
                                             errno.EFBIG) else "cannot use"
        return f"{what} {e.filename}: {e.strerror or e}; nothing was written"
    return None


def _filter_library_warnings() -> None:
    """Hide the libraries' floating-point RuntimeWarnings (scipy and numpy on extreme but
    valid inputs: "overflow encountered in ..."): kposim checks its results itself and says
    what is wrong in its own words; and matplotlib's about rendering. Only those: other
    warnings stay visible, and kposim's model warnings are printed by the commands, not
    through this module.
    """
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message=r".*(overflow|underflow|divide by zero|invalid value) "
                                    r"encountered")
    from simulator.present.plots.style import ignore_drawing_warnings

    ignore_drawing_warnings()  # chart drawing's, in this process and the forked drawers


@contextlib.contextmanager
def one_error_path():
    """The one way a command fails: bad input -> ``error: ...`` and exit 2; Ctrl-C -> exit 130
    (temporary output is removed on the way out: see :func:`simulator.output.write.replace_folder`);
    anything else -> ``internal error: ...`` and exit 1, on one line, without a traceback
    (``KPOSIM_DEBUG=1`` re-raises it).
    """
    with warnings.catch_warnings():
        try:
            _filter_library_warnings()
            yield
        except click.exceptions.UsageError as e:  # click's own: usage, hint and error, 3 lines
            where = e.ctx.command_path if e.ctx is not None else "kposim"
            raise BadInput(f"{where}: {e.format_message()} (see {where} --help)") from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted: no results written (existing files are unchanged)",
                       err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - this is the one place that catches all
            message = _bad_input_message(e)
            if message is not None:
                raise BadInput(message) from None
            if os.environ.get("KPOSIM_DEBUG", "") not in ("", "0"):
                raise
            if isinstance(e, MemoryError):
                click.echo("error: out of memory; use fewer --trials, --statistics streaming or "
                           "fewer --threads", err=True)
                sys.exit(1)
            click.echo(f"internal error: {type(e).__name__}: {_one_line(str(e))} "
                       f"({REPORT_HINT})", err=True)
            sys.exit(1)


class _Main(click.Group):
    """The ``kposim`` group: every subcommand runs inside :func:`one_error_path`."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's signature
        with one_error_path():
            return super().invoke(ctx)

    def make_context(self, *args, **kwargs) -> click.Context:  # noqa: ANN002, ANN003
        with one_error_path():  # the group's own options: --bogus is a one-line error too
            return super().make_context(*args, **kwargs)


def money(x: float, currency: str) -> str:
    """An amount as every figure is shown (three significant figures: ``-$1.23M``)."""
    from simulator.present.formatting import format_money
    return format_money(x, currency)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kposim")
def main() -> None:
    """kposim: how much does moving knowledge work offshore really save, and how likely is it
    to go wrong? Monte Carlo over a scenario file (TOML).

    Exit codes: 0 done, 2 bad input, 130 interrupted, 1 internal error (a bug; set
    KPOSIM_DEBUG=1 to see its traceback).
    """


def _load(path: str, warn: bool = True):
    """The validated scenario (a ScenarioError goes to the one error path); prints its
    semantic warnings unless the command prints them with its results.
    """
    s = load_scenario(path)
    if warn:
        for w in s.semantic_warnings():
            click.echo(f"warning: {path}: {w}", err=True)
    return s


def _start(quiet: bool) -> bool:
    """Say when the kernels compile (the first run only); whether to show a progress bar."""
    if not quiet and not _cache_is_warm():
        click.echo("compiling kernels (first run only)...", err=True)
    return not quiet and sys.stderr.isatty()


def _cache_is_warm() -> bool:
    from numba.core.config import CACHE_DIR

    from simulator.engine import kernels

    source = Path(kernels.__file__)
    # Where numba keeps its cache: beside the source, or under NUMBA_CACHE_DIR if set.
    cache = Path(CACHE_DIR).rglob("kernels.*.nbi") if CACHE_DIR else \
        (source.parent / "__pycache__").glob("kernels.*.nbi")
    return any(cache)


def _seed_option(help: str = "Random seed; same seed, same results."):
    return click.option("--seed", "-s", type=click.IntRange(min=0), default=DEFAULT_SEED,
                        show_default=True, help=help)


_threads_option = click.option("--threads", "-t", type=click.IntRange(min=1), default=None,
                               help="Worker threads [default: all cores]. Results do not depend "
                                    "on it.")
_sampling_option = click.option(
    "--sampling", type=click.Choice(list(SAMPLING)), default="mc", show_default=True,
    help="Design of the per-trial inputs: plain Monte Carlo, Latin hypercube or scrambled "
         "Sobol (each chunk of 65,536 trials one replicate).")
_strict_option = click.option(
    "--strict", is_flag=True, help="Refuse correlations that are not a valid correlation "
                                   "matrix instead of repairing them to the nearest valid one.")
_dask_option = click.option(
    "--dask", "dask", default=None, metavar="local[:N]|ADDRESS",
    help="Run on a Dask cluster: local[:N] starts N worker processes here [default N: all "
         "cores]; tcp://HOST:8786 uses a running scheduler. Results are bit-identical to a "
         "local run (see docs/cluster.md). Needs: pip install 'kposim[dask]'.")


def _backend(spec: str | None):
    """A context giving the Dask backend ``--dask`` asks for, or None (nothing of Dask is
    imported then); a cluster that cannot be used is a BadInput.
    """
    from contextlib import contextmanager, nullcontext

    if spec is None:
        return nullcontext(None)

    @contextmanager
    def backend():
        from simulator.engine.cluster import ClusterError, connect

        try:
            b = connect(spec)
        except ClusterError as e:
            raise BadInput(str(e)) from None
        try:
            yield b
        except ClusterError as e:
            raise BadInput(str(e)) from None
        finally:
            b.close()

    return backend()


def _compile(s, source: Path, strict: bool):
    """The compiled scenario; with ``strict``, a correlation matrix needing repair is an error."""
    from simulator.distributions.base import FieldError
    from simulator.scenario.compiled import compile_scenario

    try:
        return compile_scenario(s, strict=strict)
    except FieldError as e:
        raise BadInput(f"{source}: {e.field}: {e}") from None


def _check_finite(result, scenario: Path) -> None:  # noqa: ANN001 - any JSON-like result
    """Refuse to report a result with a non-finite number in it (exit 2, naming where)."""
    import math

    def walk(x, where: str):  # noqa: ANN001, ANN202
        if isinstance(x, float) and not math.isfinite(x):
            return where
        items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(
            x, list | tuple) else ()
        for k, v in items:
            found = walk(v, f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]")
            if found:
                return found
        return None

    where = walk(result, "result")
    if where:
        raise BadInput(f"{scenario}: the results are not finite ({where}): an input's range is "
                       "too wide for double precision; narrow it or cap the loss")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--trials", "-n", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Monte Carlo trials.")
@_seed_option()
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Folder for results; they go to OUT/<scenario file stem>/.")
@_threads_option
@click.option("--precision", "-p", default=None, metavar="TARGET",
              help="Stop once the mean's 95% half-width is below TARGET: a share of the mean "
                   "(0.5%) or an amount (10000); or once the 95% half-widths of statistics are "
                   "(p5=, p95=, cvar5= amounts, prob_loss= a probability, mean=; e.g. "
                   "p95=20000,prob_loss=0.002). --trials is then the most to run.")
@click.option("--statistics", type=click.Choice(["auto", "exact", "streaming"]), default="auto",
              show_default=True, help="exact keeps every trial in memory; streaming uses fixed "
                                      "memory (histograms); auto keeps trials up to 2 GiB.")
@click.option("--force", "-f", is_flag=True, help="Replace an existing results folder.")
@click.option("--save-trials", is_flag=True,
              help="Also write every trial (net savings, costs, risks, drawn inputs) to "
                   "trials.npz, for audit. Keeps all trials in memory.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
@click.option("--formats", default="png", show_default=True, metavar="LIST",
              help="What to write besides the summary and report.html, comma-separated: png "
                   "and svg charts, pdf report, xlsx workbook (e.g. png,svg,pdf,xlsx).")
@_sampling_option
@_strict_option
@_dask_option
def run(scenario: Path, trials: int, seed: int, out: Path, threads: int | None,
        precision: str | None, statistics: str, force: bool, save_trials: bool,
        quiet: bool, formats: str, sampling: str, strict: bool, dask: str | None) -> None:
    """Simulate SCENARIO and write summary.json, summary.csv, key_figures.csv, charts and the
    decision report (report.html; report.pdf and report.xlsx with --formats pdf,xlsx) to
    OUT/<stem>/.
    """
    from simulator.output.folders import claim, results_dir
    from simulator.output.write import FORMATS, parse_formats, write_results

    try:
        wanted = parse_formats(formats)
    except ValueError as e:
        raise BadInput(f"--formats: {e}; choose from {', '.join(FORMATS)}") from None
    from simulator.output.charts import start_workers

    # The chart-drawing process loads matplotlib on the other core while this one loads the
    # scenario (scipy) and runs; it goes when the command ends, however it ends.
    pool = start_workers()
    if pool is not None:
        click.get_current_context().call_on_close(
            lambda: pool.shutdown(wait=False, cancel_futures=True))
    s = _load(str(scenario), warn=False)  # its warnings come with the summary
    target = results_dir(out, scenario)
    store = {"auto": None, "exact": True, "streaming": False}[statistics]
    if save_trials:
        if statistics == "streaming":
            raise BadInput("--save-trials keeps every trial; it cannot be combined with "
                           "--statistics streaming")
        store = True
    try:
        from simulator.results.precision import parse as parse_precision

        stop = parse_precision(precision) if precision is not None else None
    except ValueError as e:
        raise BadInput(f"--precision: {e}") from None
    if getattr(stop, "needs_trials", False) and statistics == "streaming":
        raise BadInput(f"--precision {precision}: targets other than the mean need the trials; "
                       "drop --statistics streaming")
    if trials > engine.MAX_TRIALS:
        raise BadInput(f"--trials must be at most {engine.MAX_TRIALS:,} (got {trials:,})")
    model = _compile(s, scenario, strict)
    need = trials * engine.bytes_per_trial(model, save_trials)
    if store and need > engine.MAX_MEMORY_BYTES:
        raise BadInput(f"--trials {trials:,} would need {need / 2**30:.1f} GiB to keep every "
                       f"trial (limit {engine.MAX_MEMORY_BYTES / 2**30:.0f} GiB); use "
                       + ("fewer trials with --save-trials" if save_trials else
                          "--statistics streaming"))

    with claim(target, force):  # a second run writing the same folder fails now, not later
        show = _start(quiet)
        started = time.perf_counter()
        with _backend(dask) as backend:
            result = _simulate_with_progress(s, trials, seed, threads, show, store, stop,
                                             keep_inputs=save_trials, sampling=sampling,
                                             model=model, backend=backend)
            if s.controls and result.stored:
                from dataclasses import replace

                from simulator.analysis.controls import control_returns

                # On the cluster too: each control's rerun is a run of its own size.
                result = replace(result, controls=control_returns(result, threads, backend))
        elapsed = time.perf_counter() - started
        summary = write_results(result, target, force=force, save_trials=save_trials,
                                formats=wanted, pool=pool)
    for warning in summary["warnings"]:
        click.echo(f"warning: {scenario}: {warning}", err=True)
    if not quiet:
        _print_summary(summary, target, elapsed)
    # The process is about to exit: spare its final garbage collections a walk over every
    # object scipy, numba and pydantic created (about 0.2 s). Nothing is lost: what the run
    # wrote is closed, and exit frees the memory anyway.
    import gc

    gc.freeze()


def _simulate_with_progress(s, trials: int, seed: int, threads: int | None, show: bool,
                            store: bool | None, precision, keep_inputs: bool = False,
                            sampling: str = "mc", model=None, backend=None):
    options = dict(trials=trials, seed=seed, threads=threads, store_trials=store,
                   precision=precision, keep_inputs=keep_inputs, sampling=sampling,
                   model=model, backend=backend)
    if not show:
        return engine.simulate(s, **options)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("run", total=trials, rate="")
        t0 = time.perf_counter()
        done = 0

        def step(k: int) -> None:
            nonlocal done
            done += k
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, advance=k, rate=f"{rate / 1e6:.1f}M trials/s")

        return engine.simulate(s, progress=step, **options)


_DESIGN_WORDS = {"lhs": ", Latin hypercube", "sobol": ", scrambled Sobol"}


def _print_summary(summary: dict, target: Path, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from simulator.present.formatting import format_money, format_percent
    cur = summary["currency"]
    title = (f"{summary['scenario']}: net savings over {summary['horizon_years']} years "
             f"(present value, {cur}, {summary['trials']:,} trials"
             f"{_DESIGN_WORDS.get(summary['provenance'].get('sampling', 'mc'), '')})")
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("± 95% interval", justify="right")
    from simulator.present.report.content import control_lines, terminal_rows, tolerance_rows

    for row in terminal_rows(summary):  # the report's figures, intervals and rounding
        table.add_row(*row)
    console = Console()
    console.print(table)
    for line in control_lines(summary):
        console.print(line)
    tol = summary.get("tolerance")
    if tol:
        console.print(f"risk tolerance: {'PASS' if tol['pass'] else 'FAIL'}")
        for test, value, limit, margin, _ in tolerance_rows(summary):
            console.print(f"  {test}: {value} vs limit {limit} (margin {margin})")
    stop = summary.get("precision")
    if stop and "targets" in stop:
        verdict = "met" if stop["met"] else "NOT met (raise --trials)"
        widths = "; ".join(f"{k} ± {v['half_width']:.4g} (goal {v['goal']:g})"
                           for k, v in stop["targets"].items())
        console.print(f"precision targets {stop['target']}: {verdict}; 95% half-widths "
                      f"{widths} after {stop['trials_used']:,} trials")
    elif stop:
        verdict = "met" if stop["met"] else "NOT met (raise --trials)"
        console.print(f"precision target {stop['target']}: {verdict}; 95% half-width "
                      f"{format_money(stop['half_width'], cur, sig=2)} "
                      f"({format_percent(stop['relative_half_width'])} of the mean) after "
                      f"{stop['trials_used']:,} trials")
    extra = [n for n in ("report.pdf", "report.xlsx") if (target / n).is_file()]
    console.print(f"results in {target}/ ({elapsed:.1f} s); decision report: "
                  f"{target / 'report.html'}" + "".join(f" and {n}" for n in extra))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--trials", "-n", type=click.IntRange(min=1, max=10_000_000), default=100_000,
              show_default=True, help="Trials of each run (two runs per uncertain input).")
@_seed_option()
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Results go to OUT/<scenario file stem>/sensitivity/.")
@_threads_option
@click.option("--force", "-f", is_flag=True, help="Replace an existing sensitivity folder.")
@click.option("--quiet", "-q", is_flag=True, help="No table.")
@_dask_option
@_sampling_option
@_strict_option
def sensitivity(scenario: Path, trials: int, seed: int, out: Path, threads: int | None,
                force: bool, quiet: bool, dask: str | None, sampling: str,
                strict: bool) -> None:
    """What drives net savings: tornado (P10/P90 swings), contribution to variance and tail
    drivers, on common random numbers. Writes OUT/<stem>/sensitivity/ (and adds the charts to
    the run's report there, if there is one).
    """
    from simulator.analysis.sensitivity import analyze
    from simulator.output.folders import claim, results_dir
    from simulator.output.write import write_sensitivity

    s = _load(str(scenario))
    if strict:  # otherwise the analysis compiles it, repairing with a warning
        _compile(s, scenario, strict)
    target = results_dir(out, scenario) / "sensitivity"
    with claim(target, force):
        with _backend(dask) as backend:
            analysis = analyze(s, trials=trials, seed=seed, threads=threads, backend=backend,
                               sampling=sampling)
        _check_finite(analysis, scenario)
        report = write_sensitivity(analysis, target, force=force)
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    cur = analysis["currency"]
    table = Table(title=f"{analysis['scenario']}: what moves mean net savings "
                        f"(base {money(analysis['tornado']['base_mean'], cur)})",
                  title_justify="left")
    for col in ("input", "at P10", "at P90", "swing"):
        table.add_column(col, justify="left" if col == "input" else "right")
    for row in analysis["tornado"]["rows"][:15]:
        table.add_row(row.get("label", row["input"]), money(row["mean_at_p10"], cur),
                      money(row["mean_at_p90"], cur), money(row["swing"], cur))
    Console().print(table)
    Console().print(f"results in {target}/")
    _say_report(report, scenario, out, "sensitivity")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--param", "params", multiple=True, required=True, metavar="PATH=START:STOP:STEPS",
              help='Parameter to sweep, e.g. risks["Data breach"].frequency.mean=0.01:0.1:10; '
                   "give it twice for a 2-D grid.")
@click.option("--trials", "-n", type=click.IntRange(min=1, max=100_000_000), default=100_000,
              show_default=True, help="Trials at each grid point.")
@_seed_option("Random seed, shared by every point.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Results go to OUT/<scenario file stem>/sweep/.")
@_threads_option
@click.option("--force", "-f", is_flag=True, help="Replace an existing sweep folder.")
@_dask_option
@_sampling_option
@_strict_option
def sweep(scenario: Path, params: tuple[str, ...], trials: int, seed: int, out: Path,
          threads: int | None, force: bool, dask: str | None, sampling: str,
          strict: bool) -> None:
    """Run SCENARIO over a 1-D or 2-D grid of parameter values on common random numbers;
    writes sweep.csv, sweep.json and a chart to OUT/<stem>/sweep/ (and adds the chart to the
    run's report there, if there is one).
    """
    from simulator.analysis.sweep import Axis
    from simulator.analysis.sweep import sweep as run_sweep
    from simulator.output.folders import claim, results_dir
    from simulator.output.write import write_sweep

    s = _load(str(scenario))
    if strict:  # otherwise the analysis compiles it, repairing with a warning
        _compile(s, scenario, strict)
    if len(params) > 2:
        raise BadInput("--param: give one or two parameters")
    target = results_dir(out, scenario) / "sweep"
    axes = [Axis.parse(p) for p in params]
    with claim(target, force):
        with _backend(dask) as backend:
            result = run_sweep(s, axes, trials=trials, seed=seed, threads=threads,
                               backend=backend, sampling=sampling)
        _check_finite(result, scenario)
        report = write_sweep(result, target, force=force)
    click.echo(f"{len(result['rows'])} grid points; results in {target}/")
    _say_report(report, scenario, out, "sweep")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--param", "path", required=True, metavar="PATH",
              help='The parameter to solve for, e.g. risks["Data breach"].frequency.mean.')
@click.option("--target", "target", required=True, metavar="STAT=VALUE",
              help="mean=0 (mean net savings, currency) or prob_loss=0.2.")
@click.option("--bracket", default=None, metavar="LO:HI",
              help="Values of the parameter that enclose the answer [default: searched].")
@click.option("--trials", "-n", type=click.IntRange(min=1, max=100_000_000), default=100_000,
              show_default=True, help="Trials of each evaluation.")
@_seed_option("Random seed, shared by every evaluation.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write breakeven.json and the chart of the statistic against the "
                   "parameter to OUT/<scenario file stem>/breakeven/ (and add them to the run's "
                   "report there).")
@click.option("--force", "-f", is_flag=True, help="Replace an existing breakeven folder.")
@_threads_option
@_dask_option
@_sampling_option
@_strict_option
def breakeven(scenario: Path, path: str, target: str, bracket: str | None, trials: int,
              seed: int, out: Path | None, force: bool, threads: int | None, dask: str | None,
              sampling: str, strict: bool) -> None:
    """Find the value of a parameter at which mean net savings or P(net loss) hits a target,
    with its 95% Monte Carlo interval (Brent's method on common random numbers); with --out,
    also the chart of the statistic against the parameter.
    """
    from simulator.analysis.sweep import CURVE_POINTS, TARGETS
    from simulator.analysis.sweep import breakeven as solve
    from simulator.output.folders import claim, results_dir
    from simulator.output.write import write_breakeven
    from simulator.present.report.content import breakeven_sentence
    from simulator.scenario.paths import PathError

    s = _load(str(scenario))
    if strict:  # otherwise the analysis compiles it, repairing with a warning
        _compile(s, scenario, strict)
    stat, _, value = target.partition("=")
    try:
        goal = float(value)
    except ValueError:
        goal = None
    if stat not in TARGETS or goal is None:
        raise BadInput(f"--target {target!r}: expected mean=VALUE or prob_loss=VALUE")
    limits = None
    if bracket is not None:
        try:
            lo, hi = (float(x) for x in bracket.split(":"))
            limits = (lo, hi)
        except ValueError:
            raise BadInput(f"--bracket {bracket!r}: expected LO:HI") from None
    folder = results_dir(out, scenario) / "breakeven" if out is not None else None
    report = None
    with claim(folder, force) if folder is not None else contextlib.nullcontext():
        try:
            with _backend(dask) as backend:
                r = solve(s, path, stat, goal, bracket=limits, trials=trials, seed=seed,
                          threads=threads, backend=backend, sampling=sampling,
                          curve_points=CURVE_POINTS if folder is not None else 0)
        except (PathError, ValueError) as e:
            if isinstance(e, ScenarioError | engine.NonFiniteError):
                raise
            raise BadInput(str(e)) from None
        _check_finite({"breakeven": r["breakeven"], "at": r["statistic_at_breakeven"]},
                      scenario)
        if folder is not None:
            report = write_breakeven(r, folder, force=force)
    click.echo(f"{breakeven_sentence(r)}; {r['evaluations']} runs of {trials:,} trials, "
               f"seed {seed} ({path} = {r['breakeven']:.6g})")
    if folder is not None:
        click.echo(f"chart and breakeven.json in {folder}/")
        _say_report(report, scenario, out, "breakeven")


@main.command("compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trials", "-n", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Monte Carlo trials of each option.")
@_seed_option("Random seed, shared by every option.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Results go to OUT/compare-<stem>-<stem>[...]/.")
@_threads_option
@click.option("--names", default=None, metavar="A,B,...",
              help="Labels of the options in tables and charts [default: file stems].")
@click.option("--force", "-f", is_flag=True, help="Replace an existing results folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or tables.")
@click.option("--formats", default="png,svg", show_default=True, metavar="LIST",
              help="What to write besides report.html, the JSON and CSV files, comma-separated: "
                   "png and svg charts, pdf report, xlsx workbook (e.g. png,svg,pdf,xlsx).")
@_dask_option
@_sampling_option
@_strict_option
def compare_options(scenarios: tuple[Path, ...], trials: int, seed: int, out: Path,
                    threads: int | None, names: str | None, force: bool, quiet: bool,
                    formats: str, dask: str | None, sampling: str, strict: bool) -> None:
    """Compare two or more options (scenario files) on common random numbers: per-option
    figures, and for each pair the per-trial difference, P(A beats B) and first-order
    dominance. Writes the decision report (report.html), comparison.json, comparison.csv,
    key_figures.csv and charts to OUT/compare-<stem>-<stem>[...]/.
    """
    from simulator.analysis.compare import check_options, compare
    from simulator.output.comparison import write_comparison
    from simulator.output.folders import claim, safe_name
    from simulator.output.write import FORMATS, parse_formats

    try:
        wanted = parse_formats(formats)
    except ValueError as e:
        raise BadInput(f"--formats: {e}; choose from {', '.join(FORMATS)}") from None

    if len(scenarios) < 2:
        raise BadInput(f"compare needs at least two scenario files (got {len(scenarios)})")
    loaded = [_load(str(p)) for p in scenarios]
    if strict:  # otherwise the comparison compiles them, repairing with a warning
        for s, p in zip(loaded, scenarios, strict=False):
            _compile(s, p, strict)
    stems = [p.stem for p in scenarios]
    if names is not None:
        labels = [n.strip() for n in names.split(",")]
        if len(labels) != len(scenarios) or not all(labels):
            raise BadInput(f"--names: give {len(scenarios)} non-empty labels separated by "
                           f"commas (got {names!r})")
    else:  # file stems; a file given twice gets "(2)"
        labels = [st if stems[:i].count(st) == 0 else f"{st} ({stems[:i].count(st) + 1})"
                  for i, st in enumerate(stems)]
    target = out / safe_name("compare-" + "-".join(stems))
    try:
        check_options(loaded, labels, trials)
    except ValueError as e:
        raise BadInput(str(e)) from None

    show = _start(quiet)
    started = time.perf_counter()
    with claim(target, force):
        with _backend(dask) as backend:
            if show:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                              transient=True) as bar:
                    task = bar.add_task("compare", total=trials * len(loaded))
                    result = compare(loaded, labels, trials=trials, seed=seed,
                                     threads=threads, backend=backend, sampling=sampling,
                                     progress=lambda k: bar.update(task, advance=k))
            else:
                result = compare(loaded, labels, trials=trials, seed=seed, threads=threads,
                                 backend=backend, sampling=sampling)
        summary = write_comparison(result, target, force=force, keys=stems, formats=wanted)
    for warning in summary["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        _print_comparison(summary, target, time.perf_counter() - started)


def _print_comparison(summary: dict, target: Path, elapsed: float) -> None:
    """One column per option, then one per pair; each figure with its 95% interval, as the
    comparison's report shows them.
    """
    from rich.console import Console
    from rich.table import Table

    from simulator.present.report.compare import compare_sentence, terminal_tables

    options, pairs = terminal_tables(summary)
    table = Table(title=f"Net savings of each option (present value, {summary['currency']}, "
                        f"{summary['trials']:,} trials each; ± 95% interval)",
                  title_justify="left")
    table.add_column("figure")
    for o in summary["options"]:
        table.add_column(o["name"], justify="right", overflow="fold")
    for label, cells in options:
        table.add_row(label, *cells, end_section=True)
    ptable = Table(title="Each pair: A minus B, trial by trial, on common random numbers",
                   title_justify="left")
    ptable.add_column("figure")
    for p in summary["pairs"]:
        ptable.add_column(f"{p['a']}\nminus {p['b']}", justify="right", overflow="fold")
    for label, cells in pairs:
        ptable.add_row(label, *cells, end_section=True)
    console = Console()
    console.print(table)
    console.print(ptable)
    console.print(compare_sentence(summary), markup=False, highlight=False)
    extra = [n for n in ("report.pdf", "report.xlsx") if (target / n).is_file()]
    console.print(f"results in {target}/ ({elapsed:.1f} s); decision report: "
                  f"{target / 'report.html'}" + "".join(f" and {n}" for n in extra))


def _say_report(report, scenario: Path, out: Path, what: str) -> None:  # noqa: ANN001
    """After an analysis: that the run's report now shows it, or the commands that would."""
    from simulator.output.folders import results_dir

    if report is not None:
        click.echo(f"added to the report: {report['html']}"
                   + (f" and {report['pdf'].name}" if "pdf" in report else ""))
        return
    folder = results_dir(out, scenario)
    click.echo(f"no run in {folder}/ to add the {what} to; to see it in a report: "
               f"kposim run {scenario} --out {out}, then kposim report {folder}")


@main.command("report")
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--pdf/--no-pdf", default=None,
              help="Also write report.pdf [default: if RESULTS_DIR already has one].")
@click.option("--xlsx/--no-xlsx", default=None,
              help="Also write the workbook report.xlsx [default: if RESULTS_DIR already has "
                   "one].")
def report_command(results_dir: Path, pdf: bool | None, xlsx: bool | None) -> None:
    """Rebuild report.html (and report.pdf, report.xlsx) in RESULTS_DIR (a folder kposim run
    or kposim compare wrote) from what it holds, without re-running the simulation. Adds the
    sensitivity, sweep and break-even charts written into RESULTS_DIR.
    """
    from simulator.output.report import regenerate

    started = time.perf_counter()
    paths = regenerate(results_dir, pdf=pdf, xlsx=xlsx)  # a ReportError: the one error path
    also = "".join(f" and {paths[k].name}" for k in ("pdf", "xlsx") if k in paths)
    click.echo(f"wrote {paths['html']}{also} ({time.perf_counter() - started:.1f} s)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors that validate and complete TOML
    (kposim schema > kposim.schema.json; see docs/vscode.md).
    """
    import json

    from simulator.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@_strict_option
def validate(scenarios: tuple[str, ...], strict: bool) -> None:
    """Check scenario files without running them."""
    failed = []
    for path in scenarios:
        try:
            s = load_scenario(path)
            model = _compile(s, Path(path), strict)
        except (ScenarioError, BadInput) as e:
            text = e.one_line() if isinstance(e, ScenarioError) else e.format_message()
            click.echo(f"error: {_one_line(text)}", err=True)
            failed.append(path)
            continue
        for warning in [*s.semantic_warnings(), *model.warnings]:
            click.echo(f"warning: {path}: {warning}", err=True)
        click.echo(f"ok: {path}: {s.name!r}, {s.scenario.horizon_years} years, "
                   f"{len(s.costs)} cost lines, {len(s.risks)} risks"
                   + (f", {len(model.copula_inputs)} correlated inputs"
                      if len(model.copula_inputs) else ""))
    if failed:
        sys.exit(2)


@main.command("serve")
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; only this machine can reach the default. "
                   "0.0.0.0 opens the page to the network.")
@click.option("--trials", "-n", type=click.IntRange(min=1, max=10_000_000), default=200_000,
              show_default=True, help="Monte Carlo trials of every re-run.")
@_seed_option("Random seed, shared by the baseline and every re-run.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Folder for saved scenarios (OUT/NAME.toml) and reports (OUT/NAME/); "
                   "nothing is written elsewhere.")
@_threads_option
def serve_command(scenario: Path, port: int, host: str, trials: int, seed: int, out: Path,
                  threads: int | None) -> None:
    """A local page where every assumption of SCENARIO has a control, and each change re-runs
    the simulation on the same seed and shows its effect against the baseline (docs/serve.md).
    Needs: pip install 'kposim[serve]'.
    """
    try:
        from simulator.serve.app import ServeError, serve
    except ImportError as e:
        raise BadInput(f"kposim serve needs {e.name}: pip install 'kposim[serve]'") from None
    _start(quiet=False)
    try:
        serve(scenario, host=host, port=port, trials=trials, seed=seed, out=out,
              threads=threads)
    except ServeError as e:
        raise BadInput(str(e)) from None


# --------------------------------------------------------------------------- fit and elicit

# Spelled out rather than imported: importing simulator.analysis.fit loads scipy.stats, which every
# other command would then pay for at start-up. tests/test_fit.py checks they agree.
_FIT_FAMILIES = ("lognormal", "gamma", "normal", "pert", "triangular", "uniform", "beta",
                 "poisson", "negative_binomial", "bernoulli")
_FIT_BOOTSTRAP = 199


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"


@main.command("fit")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--column", "-c", default=None, metavar="NAME",
              help="Column to fit (header name, or 1, 2, ... without a header) [default: the "
                   "only column].")
@click.option("--dist", "dists", multiple=True, default=("auto",), show_default=True,
              type=click.Choice(list(_FIT_FAMILIES) + ["auto"]), metavar="FAMILY",
              help=f"Family to fit ({', '.join(_FIT_FAMILIES)}); give it several times to "
                   "compare some; auto fits every family of the data's kind.")
@click.option("--kind", type=click.Choice(["auto", "amounts", "counts"]), default="auto",
              show_default=True, help="Amounts (densities) or whole-number counts per period; "
                                      "auto: counts when every value is a whole number from 0 "
                                      "to 10,000.")
@click.option("--bootstrap", "-b", type=click.IntRange(min=0), default=_FIT_BOOTSTRAP,
              show_default=True, help="Parametric-bootstrap refits for each p-value (0: none).")
@_seed_option("Seed of the bootstrap; same seed, same p-values.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="The chart and fit.json go to OUT/fit_<data file stem>/.")
@click.option("--force", "-f", is_flag=True, help="Replace an existing fit folder.")
def fit_command(data: Path, column: str | None, dists: tuple[str, ...], kind: str,
                bootstrap: int, seed: int, out: Path, force: bool) -> None:
    """Fit distributions to one column of DATA (a CSV file) by maximum likelihood, rank them
    by AIC, test each (Kolmogorov-Smirnov with a parametric-bootstrap p-value) and print the
    scenario-file snippet of the best. Writes fit.png, fit.svg and fit.json to
    OUT/fit_<stem>/.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from simulator.analysis.fit import FitError, fit_sample, outside_support, read_sample
    from simulator.output.folders import claim, replace_folder, safe_name, write_json
    from simulator.present.plots.fit import plot_fit
    from simulator.present.plots.style import save

    target = out / safe_name(f"fit_{data.stem}")
    values, lines = read_sample(data, column)  # a DataError goes to the one error path
    named = [d for d in dists if d != "auto"]
    if named and len(named) != len(dists):
        raise BadInput("--dist: give auto alone, or name the families to fit")
    for family in named:
        bad = outside_support(values, family)
        if bad is not None:
            i, allowed = bad
            raise BadInput(f"{data}:{lines[i]}: {values[i]:g} cannot be fitted by {family} "
                           f"(it takes {allowed}); drop --dist {family} or fix the value")
    with claim(target, force):
        try:
            report = fit_sample(values, named or None, kind=kind, bootstrap=bootstrap,
                                seed=seed)
        except FitError as e:
            raise BadInput(f"{data}: {e}") from None

        label = column or "value"

        def fill(tmp: Path) -> None:
            write_json(tmp / "fit.json", {"data": str(data), "column": column,
                                          **report.to_dict()})
            save(plot_fit(report, label), tmp, "fit")

        replace_folder(target, force, fill)

    console = Console()
    name = escape(data.name) + (f" ({escape(column)})" if column else "")
    table = Table(title=f"{name}: {report.n:,} {report.kind}, ranked by AIC (p: KS test, "
                        f"{bootstrap:,} bootstrap refits, seed {seed})", title_justify="left")
    for col in ("family and parameters", "AIC", "ΔAIC", "BIC", "KS D", "p", "mean"):
        table.add_column(col, justify="left" if col.startswith("family") else "right",
                         no_wrap=not col.startswith("family"))
    for rank, f in enumerate(report.fits, 1):
        params = ", ".join(f"{k} {_num(v)}" for k, v in f.table().items() if k != "dist")
        table.add_row(f"{rank}. {f.family}\n{params}", f"{f.aic:,.1f}",
                      f"{report.delta_aic(f):,.1f}", f"{f.bic:,.1f}", f"{f.ks:.3f}",
                      "" if f.p_value is None else f"{f.p_value:.3f}", _num(f.mean),
                      end_section=True)
    console.print(table)
    for f in report.fits:
        if f.note:
            console.print(f"note: {f.family} {f.note}")
    for s in report.skipped:
        console.print(f"not fitted: {s.family}: {s.reason}")
    best = report.best
    if best.p_value is not None and best.p_value < 0.05:
        console.print(f"warning: even the best fit is rejected at 5% (p = {best.p_value:.3f}); "
                      "consider an empirical distribution of the data", style="bold")
    for f in report.fits if named else [best]:
        console.print(f"{'best' if f is best else f.family}: {f.snippet(label)}",
                      markup=False, highlight=False, soft_wrap=True)
    console.print(f"chart and fit.json in {target}/")


@main.command("elicit")
@click.argument("experts", required=False, type=click.Path(path_type=Path))
@click.option("--low", type=float, default=None, help="Low end of the range.")
@click.option("--likely", type=float, default=None, help="Most likely value (needed for pert).")
@click.option("--high", type=float, default=None, help="High end of the range.")
@click.option("--confidence", type=float, default=None,
              help="Share of the probability between low and high [default: 0.9].")
@click.option("--dist", type=click.Choice(["lognormal", "pert"]), default=None,
              help="Family [default: pert with a most likely value, lognormal without].")
@click.option("--key", default="value", show_default=True, help="Key of the printed snippet.")
def elicit_command(experts: Path | None, low: float | None, likely: float | None,
                   high: float | None, confidence: float | None, dist: str | None,
                   key: str) -> None:
    """Turn an expert's range (--low, --likely, --high, --confidence) into a distribution, or
    pool several experts from EXPERTS (a TOML file of [[experts]] tables, or a CSV file with
    columns name, low, likely, high, confidence, weight). Prints each snippet, its mean and its
    quantiles at the stated levels.
    """
    from rich.console import Console

    from simulator.analysis.elicit import ElicitError, Expert, elicit, pool, read_experts

    console = Console()
    err = Console(stderr=True)
    given = [o for o, v in (("--low", low), ("--likely", likely), ("--high", high),
                            ("--confidence", confidence)) if v is not None]
    try:
        if experts is not None:
            if given:
                raise BadInput(f"give an experts file or {', '.join(given)}, not both")
            panel = read_experts(experts)
        else:
            if low is None or high is None:
                raise BadInput("give --low and --high (and optionally --likely, --confidence), "
                               "or an experts file")
            panel = [Expert(low=low, high=high, likely=likely,
                            confidence=0.9 if confidence is None else confidence)]
            panel[0].check()
        elicited = [elicit(e, dist) for e in panel] if len(panel) == 1 else None
        pooled = pool(panel, dist) if len(panel) > 1 else None
    except ElicitError as e:
        where = "" if experts is None or str(e).startswith(str(experts)) else f"{experts}: "
        raise BadInput(f"{where}{e}") from None

    def levels(qs: dict[float, float]) -> str:
        return ", ".join(f"P{q * 100:g} {_num(v)}" for q, v in qs.items())

    members = elicited or pooled.members
    for i, m in enumerate(members):
        e = m.expert
        head = (e.name or f"expert {i + 1}") if len(members) > 1 else m.family
        weight = f", weight {pooled.weights[i]:.3g}" if pooled is not None else ""
        console.print(f"{head}: {m.snippet(key)}", markup=False, highlight=False,
                      soft_wrap=True)
        console.print(f"  mean {_num(m.mean)}; {levels(m.quantiles())}{weight}",
                      highlight=False)
        for w in m.warnings:
            err.print(f"warning: {head}: {w}", markup=False, highlight=False, soft_wrap=True)
    if pooled is not None:
        console.print(f"pool of {len(members)} experts (linear opinion pool): mean "
                      f"{_num(pooled.mean)}; {levels(pooled.quantiles())}", highlight=False)
        console.print("the pool as a scenario distribution (a mixture of the experts', "
                      "sampled exactly):", highlight=False)
        console.print(pooled.snippet(key), markup=False, highlight=False, soft_wrap=True)
        for w in pooled.warnings:
            err.print(f"warning: pool: {w}", markup=False, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- decide


@main.command("optimize")
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--budget", type=float, default=None, metavar="AMOUNT",
              help="Most the controls may cost, expected present value [default: no limit].")
@click.option("--objective", type=click.Choice(["mean", "cvar5", "prob_loss"]), default="mean",
              show_default=True, help="Maximise mean net savings or the mean of the worst 5%, "
                                      "or minimise the chance of a net loss.")
@click.option("--respect-tolerance", is_flag=True,
              help="Only portfolios that pass the scenario's [tolerance].")
@click.option("--method", type=click.Choice(["auto", "exhaustive", "greedy"]), default="auto",
              show_default=True, help="auto: every subset up to 12 controls, greedy with swaps "
                                      "beyond.")
@click.option("--trials", "-n", type=click.IntRange(min=1, max=10_000_000), default=100_000,
              show_default=True, help="Trials of each run (every portfolio shares them).")
@_seed_option("Random seed, shared by every portfolio.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Results go to OUT/<scenario file stem>/optimize/.")
@_threads_option
@click.option("--force", "-f", is_flag=True, help="Replace an existing optimize folder.")
@click.option("--quiet", "-q", is_flag=True, help="No table.")
@_dask_option
def optimize_command(scenario: Path, budget: float | None, objective: str,
                     respect_tolerance: bool, method: str, trials: int, seed: int, out: Path,
                     threads: int | None, force: bool, quiet: bool, dask: str | None) -> None:
    """Choose the [[controls]] (and [[choices]] options) that do best on OBJECTIVE within
    the budget, on common random numbers: the efficient frontier with paired Monte Carlo
    errors, the chosen set and its margin over the second best. Writes
    OUT/<stem>/optimize/ (optimize.json, frontier.csv, frontier chart).
    """
    from simulator.analysis.optimize import optimize
    from simulator.output.folders import OutputExistsError, check_writable, results_dir
    from simulator.output.write import write_decision

    s = _load(str(scenario))
    target = results_dir(out, scenario) / "optimize"
    started = time.perf_counter()
    try:
        check_writable(target, force)
        with _backend(dask) as backend:
            result = optimize(s, budget=budget, objective=objective,
                              respect_tolerance=respect_tolerance, trials=trials, seed=seed,
                              threads=threads, backend=backend, method=method)
        write_decision(result, target, "optimize", force=force)
    except (ValueError, OutputExistsError, PermissionError) as e:
        raise BadInput(f"{scenario}: {e}" if isinstance(e, ValueError) else str(e)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: no results written", err=True)
        sys.exit(130)
    if not quiet:
        _print_optimize(result, target, time.perf_counter() - started)


def _print_optimize(o: dict, target: Path, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    cur, obj, z = o["currency"], o["objective"], 1.959963984540054

    def fmt(v: float) -> str:
        return f"{v:.2%}" if obj == "prob_loss" else money(v, cur)

    def label(r: dict) -> str:
        return " + ".join([*r.get("choices", {}).values(), *r["controls"]]) or "no controls"

    table = Table(title=f"{o['scenario']}: efficient portfolios ({obj}; {o['method']})",
                  title_justify="left")
    for col in ("portfolio", "expected cost", "mean", "worst 5% mean", "P(loss)",
                "vs chosen ± 95%"):
        table.add_column(col, justify="left" if col == "portfolio" else "right")
    for r in o["frontier"]:
        table.add_row(label(r) + ("" if r["within_budget"] else " (over budget)"),
                      money(r["cost"], cur), money(r["mean"], cur), money(r["cvar5"], cur),
                      f"{r['prob_loss']:.2%}",
                      f"{fmt(r['difference_from_chosen'])} ± {fmt(z * r['difference_stderr'])}")
    console = Console()
    console.print(table)
    c = o["chosen"]
    console.print(f"chosen: {label(c)}, expected cost {money(c['cost'], cur)}, {obj} "
                  f"{fmt(c[obj])}", highlight=False)
    s2 = o["second_best"]
    if s2 is not None:
        console.print(f"second best: {label(s2)}; the chosen one is better by "
                      f"{fmt(s2['margin'])} ± {fmt(z * s2['difference_stderr'])} (paired, 95%)",
                      highlight=False)
    console.print(f"{o['runs']} runs of {o['trials']:,} trials; results in {target}/ "
                  f"({elapsed:.1f} s); add them to the report with kposim report "
                  f"{target.parent}", highlight=False)


@main.command("voi")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trials", "-n", type=click.IntRange(min=100, max=10_000_000), default=100_000,
              show_default=True, help="Trials of each option's run (they keep their inputs).")
@_seed_option("Random seed, shared by every option.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Results go to OUT/<first scenario file stem>/voi/.")
@_threads_option
@click.option("--force", "-f", is_flag=True, help="Replace an existing voi folder.")
@click.option("--quiet", "-q", is_flag=True, help="No table.")
@_dask_option
def voi_command(scenarios: tuple[Path, ...], trials: int, seed: int, out: Path,
                threads: int | None, force: bool, quiet: bool, dask: str | None) -> None:
    """What is worth finding out before deciding between keeping the work in-house and
    outsourcing as in SCENARIOS: EVPI, each input's EVPPI with standard errors and, with a
    [pilot] in the first scenario, the value of the pilot. Writes OUT/<stem>/voi/.
    """
    from simulator.analysis.voi import analyze
    from simulator.output.folders import OutputExistsError, check_writable, results_dir
    from simulator.output.write import write_decision

    loaded = [_load(str(p)) for p in scenarios]
    target = results_dir(out, scenarios[0]) / "voi"
    started = time.perf_counter()
    try:
        check_writable(target, force)
        with _backend(dask) as backend:
            names = ["Outsource"] if len(loaded) == 1 else [p.stem for p in scenarios]
            result = analyze(loaded, names, trials=trials, seed=seed,
                             threads=threads, backend=backend)
            if loaded[0].pilot is not None:
                from simulator.analysis.pilot import analyze as pilot_value

                result["pilot"] = pilot_value(loaded[0], trials=trials, seed=seed,
                                              threads=threads, backend=backend)
        write_decision(result, target, "voi", force=force)
    except (OutputExistsError, PermissionError) as e:
        raise BadInput(str(e)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: no results written", err=True)
        sys.exit(130)
    if not quiet:
        _print_voi(result, target, time.perf_counter() - started)


def _print_voi(v: dict, target: Path, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    cur, z = v["currency"], 1.959963984540054
    console = Console()
    console.print(f"decide now: {v['decision_now']} ("
                  + ", ".join(f"{o['name']} {money(o['mean'], cur)}" for o in v["options"])
                  + ")", highlight=False)
    e = v["evpi"]
    console.print(f"expected value of perfect information (EVPI): {money(e['value'], cur)} ± "
                  f"{money(z * e['stderr'], cur)}", highlight=False)
    table = Table(title="What is worth finding out before deciding (EVPPI, present value, "
                        "± 95%)", title_justify="left")
    table.add_column("input")
    table.add_column("EVPPI", justify="right")
    table.add_column("± 95%", justify="right")
    for r in v["inputs"][:15]:
        table.add_row(r.get("label", r["input"]), money(r["value"], cur),
                      money(z * r["stderr"], cur))
    console.print(table)
    p = v.get("pilot")
    if p:
        console.print(f"a {p['pilot_years']:g}-year pilot observing "
                      f"{', '.join(p['observed_risks'])}: worth {money(p['value']['value'], cur)}"
                      f" ± {money(z * p['value']['stderr'], cur)} net of its cost "
                      f"{money(p['pilot_cost'], cur)}; it changes the decision in "
                      f"{p['prob_decision_changes']:.1%} of futures", highlight=False)
    console.print(f"results in {target}/ ({elapsed:.1f} s); add them to the report with "
                  f"kposim report {target.parent}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    main()
