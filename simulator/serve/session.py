"""One scenario being explored: its baseline run, edited runs on the same seed, and the
difference between the two, trial by trial.

Every run uses the baseline's seed and trial count, so each input draws the same random
numbers in both (common random numbers, see :mod:`simulator.engine.run`): the per-trial
difference is the edit's effect, not sampling noise. The baseline keeps its trials in memory
(net and gross savings and each component: a few rows of 200,000 doubles), and each key
figure's difference gets a standard error from per-trial terms:

* mean net savings, mean gross wage savings and the chance of a loss: the paired per-trial
  differences (of the values, of the loss indicators) themselves;
* percentiles: each run's linearised (influence-function) term per trial,
  ``(p - 1[x <= q]) / f(q)``, with the density ``f`` at the quantile estimated from the
  spacing of the order statistics (Siddiqui's estimator, Hall and Sheather's bandwidth), and
  the paired difference of those terms;
* the mean of the worst 5%: likewise, with the term ``min(x - q, 0) / 0.05``.

Runs go through a :class:`Runner`: one at a time (the engine uses every core), the latest
request wins. A request that arrives while another waits replaces it (the older one never
starts), and a run in progress whose request has been superseded is stopped at its next
chunk boundary (the engine calls ``progress`` after each chunk of 65,536 trials, and the
exception raised there ends the run; its first, pilot chunk cannot be interrupted) or, if it
finishes, its result is discarded.
"""
from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from simulator.engine import run as engine
from simulator.present.formatting import format_money, format_percent
from simulator.present.report.content import (
    Z95,
    decision_sentence,
    headline_figures,
    money_to_error,
)
from simulator.results.result import SimulationResult
from simulator.results.stats import category_means, engagement_summary
from simulator.scenario.model import Scenario, load_scenario
from simulator.serve.edits import Edit, Editor, Invalid, Problem

#: Levels of the S-curve sent to the page: P(net savings >= x) = 1 - level.
SCURVE_LEVELS = np.concatenate([[0.001, 0.0025, 0.005], np.linspace(0.01, 0.99, 99),
                                [0.995, 0.9975, 0.999]])
PERCENTILE_KEYS = {"p5": 0.05, "p50": 0.50, "p95": 0.95}
TAIL = 0.05  #: the "worst 5%" of the mean of the worst trials
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Superseded(Exception):
    """A newer request arrived: this run's result would never be shown."""


class SessionError(ValueError):
    """A save or report request that cannot be carried out (the message says why)."""


# --- statistics of one run ----------------------------------------------------------------------

@dataclass
class RunStats:
    """What the page shows of one run, and what the paired differences need of it."""

    result: SimulationResult
    summary: dict[str, Any]  #: the keys of summary.json the report's sentence and tiles use
    ordered: np.ndarray  #: net savings, increasing
    quantiles: dict[str, tuple[float, float]] = field(default_factory=dict)  #: key -> (q, f)

    @classmethod
    def of(cls, result: SimulationResult) -> RunStats:
        """The figures of a run that kept its trials."""
        src = result.statistics  # the same code as summary.json: same figures
        info = result.scenario.scenario
        gross = result.gross_wage_savings
        assert gross is not None  # the page's runs keep their trials
        summary = {
            "scenario": info.name, "currency": info.currency, "trials": result.trials,
            "seed": result.seed, "horizon_years": info.horizon_years,
            "net_savings": src.full(0),
            "gross_wage_savings": {"mean": float(gross.mean()),
                                   "stderr": _paired(gross)[1]},
            "categories": category_means(result),
        }
        engagement = engagement_summary(result)
        if engagement is not None:
            summary["engagement"] = engagement
        ordered = src.ordered(0)
        stats = cls(result, summary, ordered)
        for key, p in PERCENTILE_KEYS.items():
            stats.quantiles[key] = (summary["net_savings"][key], _density(ordered, p))
        stats.quantiles["cvar_5"] = (float(sorted_quantiles(ordered, np.array([TAIL]))[0]),
                                     math.inf)
        return stats

    @property
    def net(self) -> np.ndarray:
        """Net savings, trial by trial."""
        net = self.result.net_savings
        assert net is not None  # the page's runs keep their trials
        return net

    @property
    def gross(self) -> np.ndarray:
        """Gross wage savings, trial by trial."""
        gross = self.result.gross_wage_savings
        assert gross is not None  # the page's runs keep their trials
        return gross

    def influence(self, key: str) -> np.ndarray:
        """Per-trial linearised term of figure ``key`` (constants left out)."""
        q, f = self.quantiles[key]
        if key == "cvar_5":
            return np.minimum(self.net - q, 0.0) / TAIL
        if not math.isfinite(f):  # an atom at the quantile: it does not move with the trials
            return np.zeros(self.net.size)
        return -(self.net <= q).astype(np.float64) / f


def sorted_quantiles(ordered: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of increasing values at ``levels``, interpolated linearly between order
    statistics as numpy's default method does, read off the sorted array directly (numpy
    would partition it again for each call).
    """
    pos = np.asarray(levels, dtype=np.float64) * (ordered.size - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, ordered.size - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _density(ordered: np.ndarray, p: float) -> float:
    """Density of the values at their p-quantile: Siddiqui's difference quotient of the
    quantile function with Hall and Sheather's bandwidth (inf at an atom).
    """
    from scipy.special import ndtri

    n = ordered.size
    z = float(ndtri(p))
    phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    h = n ** (-1 / 3) * Z95 ** (2 / 3) * (1.5 * phi ** 2 / (2 * z * z + 1)) ** (1 / 3)
    lo, hi = max(p - h, 0.0), min(p + h, 1.0)
    q = sorted_quantiles(ordered, np.array([lo, hi]))
    spread = float(q[1] - q[0])
    return (hi - lo) / spread if spread > 0 else math.inf


def _paired(d: np.ndarray) -> tuple[float, float]:
    """Mean of per-trial differences and its standard error."""
    n = d.size
    return float(d.mean()), (float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0)


class Difference(TypedDict):
    """One key figure's paired difference from the baseline."""

    diff: float
    stderr: float | None  #: None where the run keeps no per-trial figure to pair
    half: float | None  #: the 95% half-width


def paired_differences(base: RunStats, new: RunStats) -> dict[str, Difference]:
    """Each key figure of ``new`` minus ``base`` (same seed and trials), with the standard
    error of the difference from the paired per-trial terms (None where the run keeps no
    per-trial figure to pair).
    """
    if base.net.size != new.net.size or base.result.seed != new.result.seed:
        raise ValueError("paired differences need two runs with the same seed and trials")
    out: dict[str, Difference] = {}
    bn, nn = base.summary["net_savings"], new.summary["net_savings"]
    out["mean"] = _entry(nn["mean"] - bn["mean"], _paired(new.net - base.net)[1])
    losses = (new.net < 0).astype(np.float64) - (base.net < 0).astype(np.float64)
    out["prob_loss"] = _entry(nn["prob_loss"] - bn["prob_loss"], _paired(losses)[1])
    for key in (*PERCENTILE_KEYS, "cvar_5"):
        se = _paired(new.influence(key) - base.influence(key))[1]
        out[key] = _entry(nn[key] - bn[key], se)
    out["gross"] = _entry(new.summary["gross_wage_savings"]["mean"]
                          - base.summary["gross_wage_savings"]["mean"],
                          _paired(new.gross - base.gross)[1])
    be, ne = base.summary.get("engagement"), new.summary.get("engagement")
    if be and ne:
        out["exit_share"] = _entry(ne["exit_share"] - be["exit_share"], None)
        out["years_run"] = _entry(ne["mean_years_run"] - be["mean_years_run"], None)
    return out


def _entry(diff: float, se: float | None) -> Difference:
    return {"diff": float(diff), "stderr": se,
            "half": None if se is None else Z95 * se}


def _diff_text(key: str, d: Difference, currency: str) -> str:
    """"vs baseline: +$120K (±$3.2K paired)"; the ± is the 95% half-width."""
    diff, half = d["diff"], d["half"]
    if diff == 0 and not half:
        return "vs baseline: no change"
    if key in ("prob_loss", "exit_share"):
        pts = diff * 100
        text = f"{pts:+.2g} points" if abs(pts) >= 0.01 else f"{pts:+.1g} points"
        if half is not None:
            text += f" (±{half * 100:.2g} paired)"
        return "vs baseline: " + text
    if key == "years_run":
        return f"vs baseline: {diff:+.2f} years"
    money = money_to_error(diff, half if half else math.nan, currency)
    text = money if money.startswith("-") else "+" + money
    if half is not None:
        text += f" (±{format_money(half, currency)} paired)"
    return "vs baseline: " + text


@dataclass(frozen=True)
class _Totals:
    """A summary's figures the waterfall bridges (what :class:`ChartData` holds of them)."""

    gross_mean: float
    category_costs: dict[str, float]
    mean: float


def page_view(stats: RunStats, base: RunStats, diffs: dict[str, Any] | None) -> dict[str, Any]:
    """What the page draws for a run: the decision sentence, the key figures with their
    Monte Carlo errors and differences from the baseline, the S-curve and the waterfall.
    """
    from simulator.present.plots.waterfall import bridge

    s = stats.summary
    cur = s["currency"]
    figures = []
    for h in headline_figures(s):
        item = {"key": h.key, "label": h.label, "value": h.value, "error": h.error,
                "meaning": h.meaning}
        if diffs is not None and h.key in diffs:
            item["diff"] = diffs[h.key]
            item["vs"] = _diff_text(h.key, diffs[h.key], cur)
        figures.append(item)
    ns = s["net_savings"]
    steps = bridge(_Totals(gross_mean=s["gross_wage_savings"]["mean"],
                           category_costs=s["categories"], mean=ns["mean"]))
    waterfall = [{"key": st.key, "label": st.label.replace("\n", " "), "bottom": st.bottom,
                  "height": st.height, "kind": st.kind,
                  "text": ("+" if st.kind != "total" and st.height > 0 else "")
                  + format_money(st.height, cur)} for st in steps]
    return _json_safe({
        "sentence": decision_sentence(s),
        "figures": figures,
        "raw": {k: ns[k] for k in ("mean", "stderr", "prob_loss", "p5", "p50", "p95",
                                   "cvar_5")},
        "scurve": {"levels": SCURVE_LEVELS.tolist(),
                   "values": sorted_quantiles(stats.ordered, SCURVE_LEVELS).tolist(),
                   "base": sorted_quantiles(base.ordered, SCURVE_LEVELS).tolist()},
        "waterfall": waterfall,
        "currency": cur,
        "prob_loss_text": format_percent(ns["prob_loss"]),
        "trials": s["trials"], "seed": s["seed"], "horizon_years": s["horizon_years"],
    })


def _json_safe(x: Any) -> Any:
    """``x`` with every non-finite number as None (JSON has no nan or inf)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


# --- the session --------------------------------------------------------------------------------

class Session:
    """A scenario file explored from the page: the baseline, edited runs, saving and writing
    reports into ``out`` (and nowhere else).
    """

    def __init__(self, path: Path, trials: int, seed: int, out: Path,
                 threads: int | None = None) -> None:
        scenario = load_scenario(path)  # ScenarioError: the caller reports it
        text = Path(path).read_text(encoding="utf-8")
        model = engine.compile_scenario(scenario)  # FieldError: likewise
        self.path, self.trials, self.seed, self.out = Path(path), trials, seed, Path(out)
        self.threads = threads
        self.editor = Editor(str(path), text, scenario, model)
        self.base = RunStats.of(self._simulate(scenario, model))
        self.base_view = page_view(self.base, self.base,
                                   paired_differences(self.base, self.base))

    def _simulate(self, scenario: Scenario, model: Any,
                  stale: Callable[[], bool] | None = None) -> SimulationResult:
        def progress(_: int) -> None:
            if stale is not None and stale():
                raise Superseded

        return engine.simulate(scenario, trials=self.trials, seed=self.seed,
                               threads=self.threads, store_trials=True, model=model,
                               progress=progress if stale is not None else None,
                               controls=False)

    def state(self) -> dict[str, Any]:
        """Everything the page needs to start: the controls and the baseline."""
        s = self.editor.scenario
        return {"scenario": s.name, "file": str(self.path), "trials": self.trials,
                "seed": self.seed, "out": str(self.out), "suggested_name": self.path.stem
                + "-whatif", **self.editor.spec(), "baseline": self.base_view}

    def run(self, edits: list[Edit], changed: str | None = None,
            stale: Callable[[], bool] = lambda: False) -> dict[str, Any]:
        """Validate, compile and simulate the edited scenario; compare it with the baseline.
        Raises :class:`Invalid` (each problem beside its field) or :class:`Superseded`.
        """
        clock = [time.perf_counter()]

        def lap() -> float:
            clock.append(time.perf_counter())
            return round((clock[-1] - clock[-2]) * 1000, 1)

        if not edits:  # back to the baseline: its run is kept
            return {**self.base_view, "words": {}, "timings": {}}
        timings = {}
        try:
            scenario = self.editor.scenario_for(edits)
            timings["validate_ms"] = lap()
            if stale():
                raise Superseded
            model = self.editor.compile(scenario, edits)
            timings["compile_ms"] = lap()
            if stale():
                raise Superseded
            try:
                result = self._simulate(scenario, model, stale)
            except engine.NonFiniteError as e:
                raise Invalid([Problem(None, f"{self.editor.source}: {e}")]) from None
        except Invalid as e:
            e.problems = [Problem(p.target or changed, p.message) for p in e.problems]
            raise
        timings["simulate_ms"] = lap()
        stats = RunStats.of(result)
        view = page_view(stats, self.base, paired_differences(self.base, stats))
        view["words"] = self.editor.words(scenario, [e.target for e in edits
                                                     if e.op in ("scale", "shift", "set")]
                                          ) if edits else {}
        timings["statistics_ms"] = lap()
        view["timings"] = timings
        return view

    # -- writing -----------------------------------------------------------------------------

    def _target(self, name: Any, suffix: str) -> Path:
        if not isinstance(name, str) or not NAME.match(name.removesuffix(".toml")):
            raise SessionError("a name is 1-100 letters, digits, '.', '_' or '-', starting "
                               "with a letter or digit")
        stem = name.removesuffix(".toml")
        self.out.mkdir(parents=True, exist_ok=True)
        root = self.out.resolve()
        target = (root / f"{stem}{suffix}").resolve()
        if target.parent != root:  # cannot happen with the name rule; checked all the same
            raise SessionError(f"{name}: not inside {self.out}")
        return target

    def save(self, edits: list[Edit], name: Any, replace: bool = False) -> Path:
        """Write the edited scenario to ``OUT/name.toml`` (the original's comments kept).
        Raises :class:`Invalid` for an edited scenario that is not valid.
        """
        self.editor.scenario_for(edits)
        target = self._target(name, ".toml")
        text = self.editor.toml(edits)
        if target.exists() and not replace and target.read_text(encoding="utf-8") != text:
            raise SessionError(f"{self._shown(target)} exists: choose another name, or "
                               "replace it")
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        return target

    def write_report(self, edits: list[Edit], name: Any, replace: bool = False) -> Path:
        """Save the edited scenario as ``OUT/name.toml`` and write the normal results folder
        for it, ``OUT/name/`` (summary, charts, report.html), from a run with this session's
        trials and seed (the numbers the page shows).
        """
        from simulator.output.folders import OutputExistsError
        from simulator.output.write import write_results

        toml = self.save(edits, name, replace)
        folder = self._target(name, "")
        scenario = load_scenario(toml)
        # simulate() evaluates the controls' returns, as for `kposim run`
        result = engine.simulate(scenario, trials=self.trials, seed=self.seed,
                                 threads=self.threads, store_trials=True)
        try:
            write_results(result, folder, force=replace)
        except OutputExistsError:
            raise SessionError(f"{self._shown(folder)} exists: choose another name, or "
                               "replace it") from None
        return folder

    def _shown(self, p: Path) -> str:
        return str(self.out / p.name)


# --- one run at a time, the latest wins --------------------------------------------------------

SUPERSEDED = {"status": "superseded"}


class Runner:
    """Runs jobs on one worker thread, one at a time. ``latest`` jobs (the page's re-runs):
    a new one replaces a waiting one (which then returns :data:`SUPERSEDED` without running),
    and makes a running one stale (its ``stale()`` turns true; its result, if it still
    finishes, is replaced by :data:`SUPERSEDED`). ``queued`` jobs (saving, reports) run in
    turn and are never superseded.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ticket = 0
        self._latest: tuple[int, Callable, Future] | None = None
        self._queue: list[tuple[Callable, Future]] = []
        self._closed = False
        self.counts = {"started": 0, "finished": 0, "superseded_waiting": 0,
                       "stopped_running": 0, "discarded": 0}
        self._thread = threading.Thread(target=self._loop, name="kposim-runner", daemon=True)
        self._thread.start()

    def latest(self, job: Callable[[Callable[[], bool]], Any]) -> Future:
        """Run ``job(stale)`` as the newest re-run; returns its future."""
        future: Future = Future()
        with self._cond:
            self._ticket += 1
            if self._latest is not None:
                self._latest[2].set_result(SUPERSEDED)
                self.counts["superseded_waiting"] += 1
            self._latest = (self._ticket, job, future)
            self._cond.notify()
        return future

    def queued(self, job: Callable[[], Any]) -> Future:
        """Run ``job()`` after the jobs queued before it (never superseded); its future."""
        future: Future = Future()
        with self._cond:
            self._queue.append((job, future))
            self._cond.notify()
        return future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not (self._closed or self._queue or self._latest):
                    self._cond.wait()
                if self._closed:
                    return
                if self._queue:
                    job, future = self._queue.pop(0)
                    ticket = None
                else:
                    assert self._latest is not None  # the wait above ends on one of the three
                    ticket, job, future = self._latest
                    self._latest = None
                self.counts["started"] += ticket is not None
            if ticket is None:
                self._settle(future, job)
                continue

            def stale(ticket: int = ticket) -> bool:
                return self._ticket != ticket

            try:
                value = job(stale)
            except Superseded:
                self.counts["stopped_running"] += 1
                future.set_result(SUPERSEDED)
                continue
            except BaseException as e:  # noqa: BLE001 - handed to the waiting request
                future.set_exception(e)
                continue
            self.counts["finished"] += 1
            if stale():
                self.counts["discarded"] += 1
                future.set_result(SUPERSEDED)
            else:
                future.set_result(value)

    @staticmethod
    def _settle(future: Future, job: Callable[[], Any]) -> None:
        try:
            future.set_result(job())
        except BaseException as e:  # noqa: BLE001 - handed to the waiting request
            future.set_exception(e)

    def close(self) -> None:
        """Stop the runner: the waiting re-run is superseded, queued jobs cancelled."""
        with self._cond:
            self._closed = True
            if self._latest is not None:
                self._latest[2].set_result(SUPERSEDED)
                self._latest = None
            for _, future in self._queue:
                future.cancel()
            self._queue.clear()
            self._cond.notify()
        self._thread.join(timeout=30)
