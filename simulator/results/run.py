"""What a run drew: every trial's figures (or their streamed summary) plus where they came
from. The statistics computed from it are :mod:`simulator.results.stats`'; the object users get
back, with ``summary()`` and ``chart_data()``, is
:class:`simulator.results.result.SimulationResult`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.results.summary import ControlReturn, Provenance
from simulator.scenario.compiled import CompiledModel

if TYPE_CHECKING:
    from simulator.results.streaming import StreamSummary
    from simulator.scenario.model import Scenario


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kposim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


@dataclass(frozen=True)
class KeptTrials:
    """The per-trial arrays of a run that kept its trials (:attr:`RunRecord.kept`).

    Attributes
    ----------
    net_savings : numpy.ndarray
        Shape (trials,): gross wage savings minus every cost and loss, per trial.
    gross_wage_savings : numpy.ndarray
        Shape (trials,): wage savings net of ramp-up double pay.
    component_totals : numpy.ndarray
        Shape (C, trials): each component's cost per trial, in ``model.component_names``
        order (cost lines, then risks, then a scenario's exit rows).
    """

    net_savings: np.ndarray
    gross_wage_savings: np.ndarray
    component_totals: np.ndarray


@dataclass(frozen=True)
class RunRecord:
    """Per-trial results of one run and where they came from.

    Money is present value over the horizon, in the scenario's currency; component figures are
    costs (positive = money lost). A run that streamed its statistics (``stored`` is False)
    has ``None`` for the per-trial arrays and ``stream`` instead; :attr:`kept` and
    :attr:`streamed` return them typed, or raise a clear error.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario that was run.
    model : CompiledModel
        Its compiled form (names of inputs and components, row layout).
    trials : int
        Trials run (fewer than asked when a precision target stopped the run).
    seed : int
        The engine's integer seed (a SeedSequence given to ``simulate`` is reduced to it).
    net_savings : numpy.ndarray or None
        Shape (trials,), kept runs only.
    gross_wage_savings : numpy.ndarray or None
        Shape (trials,), kept runs only.
    component_totals : numpy.ndarray or None
        Shape (C, trials): cost lines, then risks (``model.component_names``), kept runs only.
    inputs : numpy.ndarray or None
        Shape (I, trials): the drawn inputs (``model.input_names``), with ``keep_inputs``.
    chunk_size : int
        Trials per chunk (part of the seed contract).
    bit_generator : str
        The streams' generator, "SFC64".
    stream : StreamSummary or None
        Streamed statistics (histograms and sums), when the trials were not kept.
    chunk_moments : numpy.ndarray or None
        Shape (chunks, 3): per chunk n, sum and sum of squares of net savings - shift.
    moment_shift : float
        The shift of those moments (the first chunk's mean net savings), currency.
    precision : dict or None
        The precision target and what was reached, when one was given.
    controls : dict or None
        Control name -> its return (:class:`~simulator.results.summary.ControlReturn`), when
        evaluated.
    sampling : str
        Design of the per-trial inputs: "mc", "lhs" or "sobol".
    engagement_sums : numpy.ndarray or None
        Shape (chunks, 2 + 2H), scenarios that can end early: per chunk exits, sum of the
        engagement's years, sum of each year's share run, trials running at each year's end.
    created : str
        When the record was made, ISO 8601 UTC (not part of the results).
    """

    scenario: Scenario
    model: CompiledModel
    trials: int
    seed: int
    net_savings: np.ndarray | None
    gross_wage_savings: np.ndarray | None
    component_totals: np.ndarray | None
    inputs: np.ndarray | None
    chunk_size: int
    bit_generator: str
    stream: StreamSummary | None = None
    chunk_moments: np.ndarray | None = None
    moment_shift: float = 0.0
    precision: dict[str, Any] | None = None
    controls: dict[str, ControlReturn] | None = None
    sampling: str = "mc"
    engagement_sums: np.ndarray | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC)
                         .isoformat(timespec="seconds"))
    #: figures computed once per record and reused (the sorted trials of
    #: :mod:`simulator.results.stats`); not part of the record's value
    cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def stored(self) -> bool:
        """Whether every trial is kept (exact statistics) rather than streamed."""
        return self.net_savings is not None

    @property
    def kept(self) -> KeptTrials:
        """The per-trial arrays, typed (no ``None``).

        Raises
        ------
        ValueError
            If the run streamed its statistics and kept no trials.
        """
        if (self.net_savings is None or self.gross_wage_savings is None
                or self.component_totals is None):
            raise ValueError("this run streamed its statistics and kept no trials; run with "
                             "store_trials=True for per-trial arrays")
        return KeptTrials(self.net_savings, self.gross_wage_savings, self.component_totals)

    @property
    def streamed(self) -> StreamSummary:
        """The streamed statistics of a run that did not keep its trials.

        Raises
        ------
        ValueError
            If the run kept its trials (its statistics come from them).
        """
        if self.stream is None:
            raise ValueError("this run kept its trials; it has no streamed statistics")
        return self.stream

    @property
    def moments(self) -> np.ndarray:
        """Shape (chunks, 3): per chunk n, sum and sum of squares of net savings minus
        :attr:`moment_shift`.

        Raises
        ------
        ValueError
            If the record was built without them.
        """
        if self.chunk_moments is None:
            raise ValueError("this run record has no per-chunk moments")
        return self.chunk_moments

    @property
    def components(self) -> dict[str, np.ndarray]:
        """Component name -> (trials,) cost per trial (only when trials are kept)."""
        return dict(zip(self.model.component_names, self.kept.component_totals, strict=True))

    @property
    def risk_losses(self) -> np.ndarray:
        """(trials,) total loss from all risk events per trial (only when trials are kept)."""
        totals = self.kept.component_totals
        rows = self.model.risk_total_rows.tolist()
        if not rows:
            return np.zeros(self.trials)
        # Row by row, as numpy sums a (rows, n) array over its first axis (the same numbers,
        # bit for bit), without first copying the rows into one.
        total = totals[rows[0]].copy()
        for r in rows[1:]:
            total += totals[r]
        return total

    def _require_trials(self) -> None:
        self.kept  # noqa: B018 - raises the clear error

    def provenance(self) -> Provenance:
        """How to reproduce this run: version, scenario hash, seed, chunking, generator."""
        import numba

        return {
            "version": _version(),
            "scenario_sha256": self.scenario.sha256,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "bit_generator": self.bit_generator,
            "sampling": self.sampling,
            "created": self.created,
            "statistics": "exact" if self.stored else "streaming",
            "numpy": np.__version__,
            "numba": numba.__version__,
        }
