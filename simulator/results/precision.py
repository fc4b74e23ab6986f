"""Precision targets beyond the mean: stop a run once the 95% intervals of P5, P95, the CVaR
and P(loss) are as narrow as asked.

``--precision p95=20000,prob_loss=0.002`` asks for half-widths of the 95% intervals: for a
percentile the distribution-free order-statistic interval (ranks n q -/+ 1.96 sqrt(n q (1-q)),
as ``summary.json`` reports), for the CVaR (``cvar5``, mean of the worst 5%) 1.96 times its
standard error (:func:`simulator.results.stats.expected_shortfall_stderr`), for P(loss) the Wilson
score interval (never zero-width, even before the first loss is seen) and for the mean the
engine's own interval. Amounts are in the scenario's currency (present value), P(loss) as a
probability. Every target must be met.

The targets are checked where the engine checks its mean target: after whole batches of
:data:`~simulator.engine.run.CHECK_EVERY` chunks, in chunk order, on the trials kept so far, so
where a run stops depends only on the seed, never on threads or a cluster. The order-statistic
and CVaR intervals need the trials: a run that streams its statistics takes only the
mean (``--precision 0.5%`` or an amount), and this class refuses to be used with one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.results.mcerror import Z95
from simulator.results.stats import expected_shortfall_stderr, order_statistic_ci


@dataclass(frozen=True)
class Precision:
    """Stop a run once the 95% confidence half-width of mean net savings is at most
    ``relative`` x |mean| or ``absolute``; checked every 8 chunks (524,288 trials).

    Parameters
    ----------
    relative : float or None
        Target half-width as a share of |mean| (0.005 = 0.5%), in (0, 1).
    absolute : float or None
        Target half-width in the scenario's currency (present value), > 0.

    Examples
    --------
    >>> Precision.parse("0.5%")
    Precision(relative=0.005, absolute=None)
    """

    relative: float | None = None
    absolute: float | None = None

    @classmethod
    def parse(cls, text: str) -> Precision:
        """``"0.5%"`` (relative) or ``"10000"`` (absolute, currency)."""
        t = text.strip()
        try:
            if t.endswith("%"):
                value = float(t[:-1]) / 100
                if not 0 < value < 1:
                    raise ValueError
                return cls(relative=value)
            value = float(t)
            if not value > 0 or not np.isfinite(value):
                raise ValueError
            return cls(absolute=value)
        except ValueError:
            raise ValueError(f"precision must be a percentage like 0.5% or a positive amount "
                             f"like 10000 (got {text!r})") from None

    def met(self, mean: float, half_width: float) -> bool:
        """Whether a 95% half-width ``half_width`` of the mean ``mean`` meets the target
        (both currency).
        """
        if self.relative is not None:
            return half_width <= self.relative * abs(mean)
        if self.absolute is None:
            raise ValueError("a Precision needs a relative or an absolute target")
        return half_width <= self.absolute

    def describe(self) -> str:
        """The target in words, as ``summary.json``'s ``precision.target`` records it."""
        if self.relative is not None:
            return f"{self.relative * 100:g}% of the mean"
        return f"{self.absolute:g}"


STATISTICS = ("mean", "p5", "p95", "cvar5", "prob_loss")
_QUANTILE = {"p5": 0.05, "p95": 0.95}


def half_width(net: np.ndarray, statistic: str) -> float:
    """The 95% half-width of ``statistic`` ("p5", "p95", "cvar5" or "prob_loss") of the trials
    ``net`` (n,): currency for the first three, a probability for prob_loss.
    """
    n = net.size
    if statistic in _QUANTILE:
        lo, hi = order_statistic_ci(n, _QUANTILE[statistic])
        part = np.partition(net, [lo, hi])
        return 0.5 * float(part[hi] - part[lo])
    if statistic == "cvar5":
        return Z95 * expected_shortfall_stderr(net, 0.05)
    if statistic == "prob_loss":
        p, z2 = float(np.count_nonzero(net < 0)) / n, Z95 * Z95
        return Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    raise ValueError(f"statistic must be one of {', '.join(STATISTICS)} (got {statistic!r})")


@dataclass(frozen=True)
class Targets:
    """Half-widths of 95% intervals to reach, one per statistic (see the module docstring).
    Used as :func:`simulator.simulate`'s ``precision``; needs a run that keeps its trials.

    Parameters
    ----------
    goals : tuple of (str, float)
        (statistic, half-width) pairs, statistics distinct, from :data:`STATISTICS`: "mean",
        "p5", "p95" and "cvar5" in currency, "prob_loss" as a probability.

    Examples
    --------
    >>> Targets.parse("p95=20000,prob_loss=0.002").goals
    (('p95', 20000.0), ('prob_loss', 0.002))
    """

    goals: tuple[tuple[str, float], ...]  #: (statistic, half-width), statistics distinct

    needs_trials = True  #: the engine refuses these targets on a streamed run

    @classmethod
    def parse(cls, text: str) -> Targets:
        """``"p95=20000"`` or several, comma-separated: ``"p5=50000,prob_loss=0.002"``."""
        goals: dict[str, float] = {}
        for part in text.split(","):
            stat, sep, value = part.strip().partition("=")
            stat = stat.strip()
            try:
                goal = float(value)
            except ValueError:
                goal = math.nan
            if not sep or stat not in STATISTICS or not goal > 0 or not math.isfinite(goal):
                raise ValueError(f"expected STATISTIC=HALF_WIDTH with STATISTIC one of "
                                 f"{', '.join(STATISTICS)} and a positive half-width, e.g. "
                                 f"p95=20000 or prob_loss=0.002 (got {part.strip()!r})")
            if stat == "prob_loss" and goal >= 1:
                raise ValueError(f"prob_loss is a probability: its half-width must be below 1 "
                                 f"(got {goal:g})")
            if stat in goals:
                raise ValueError(f"{stat} is given twice")
            goals[stat] = goal
        return cls(tuple(goals.items()))

    def half_widths(self, net: np.ndarray, mean_half_width: float) -> dict[str, float]:
        """Each target's current 95% half-width from the trials so far."""
        return {stat: mean_half_width if stat == "mean" else half_width(net, stat)
                for stat, _ in self.goals}

    def met_by_trials(self, net: np.ndarray, mean_half_width: float) -> bool:
        """Whether every target is met by the trials ``net`` (n,) so far."""
        now = self.half_widths(net, mean_half_width)
        return all(now[stat] <= goal for stat, goal in self.goals)

    def report(self, net: np.ndarray, mean_half_width: float) -> dict[str, Any]:
        """What the run reached: each target's goal, half-width and whether it is met."""
        now = self.half_widths(net, mean_half_width)
        return {"spec": self.spec(),
                "targets": {stat: {"goal": goal, "half_width": now[stat],
                                   "met": bool(now[stat] <= goal)}
                            for stat, goal in self.goals},
                "met": all(now[stat] <= goal for stat, goal in self.goals)}

    def met(self, mean: float, half_width: float) -> bool:  # noqa: ARG002 - engine protocol
        """Not available: these targets need the trials (see :meth:`met_by_trials`).

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError("these targets need the trials: the engine calls met_by_trials")

    def describe(self) -> str:
        """The targets in words, as ``summary.json``'s ``precision.target`` records them."""
        return ", ".join(f"{stat} ± {goal:g}" for stat, goal in self.goals)

    def spec(self) -> str:
        """The targets as ``--precision`` takes them (:meth:`parse` reads it back)."""
        return ",".join(f"{stat}={goal!r}" for stat, goal in self.goals)


def parse(text: str) -> Precision | Targets:
    """A ``--precision`` value: ``0.5%`` or an amount (the mean, :class:`Precision`, as
    before), or ``STATISTIC=HALF_WIDTH[,...]`` (:class:`Targets`).
    """
    return Targets.parse(text) if "=" in text else Precision.parse(text)
