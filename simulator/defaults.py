"""What a run assumes unless told otherwise, shared by the engine, the Python API and the
command line. Plain values, kept apart from the engine so that the command line can declare
its options without loading numba (``kposim validate`` and ``schema`` never simulate).
"""
from __future__ import annotations

from enum import StrEnum

DEFAULT_SEED = 20_260_101
"""Seed used when none is given (``seed=None`` in the Python API, no ``--seed`` on the command
line), so two runs of the same file agree by default. Never fresh entropy."""


class Sampling(StrEnum):
    """Design of the per-trial inputs. A ``str`` enum: the API takes a member or its value
    (``sampling="lhs"`` and ``sampling=Sampling.LHS`` are the same), and a member is equal to,
    and formats as, its value. Event counts and severities always use plain Monte Carlo.
    """

    MC = "mc"  #: plain Monte Carlo
    LHS = "lhs"  #: Latin hypercube, one replicate per chunk
    SOBOL = "sobol"  #: scrambled Sobol, one replicate per chunk

    @classmethod
    def of(cls, value: Sampling | str) -> Sampling:
        """The member for ``value`` (a member or its string value).

        Raises
        ------
        ValueError
            If ``value`` names no design; the message lists the designs.
        """
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"sampling must be one of {', '.join(SAMPLING)} (got "
                             f"{value!r})") from None


SAMPLING: tuple[str, ...] = tuple(s.value for s in Sampling)
"""The designs' string values, in order: ``("mc", "lhs", "sobol")``."""
FIT_AMOUNT_FAMILIES = ("lognormal", "gamma", "normal", "pert", "triangular", "uniform", "beta")
"""Continuous families :mod:`simulator.analysis.fit` tries on amounts, in kposim's names."""
FIT_COUNT_FAMILIES = ("poisson", "negative_binomial", "bernoulli")
"""Count families :mod:`simulator.analysis.fit` tries on whole-number counts."""
FIT_BOOTSTRAP = 199
"""Bootstrap refits per p-value of a fit: resolution 1/200, Monte Carlo standard error about
0.015 at p = 0.05; enough to tell a rejected fit from an acceptable one."""
