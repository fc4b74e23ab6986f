"""The row layout of a run's value matrix: which row of a chunk's values (and of the kept
trials) holds which figure.

The engine simulates each chunk into a (V, n) matrix: net savings, gross wage savings, one row
per component (the cost lines, then each risk, then for a scenario that can end early the
savings lost to an exit, re-entry costs and recoveries: ``model.component_names``), and, for a
scenario with risks, the total loss of all risk events. A run that keeps its trials keeps the
first :attr:`Rows.stored` of them; the streamed statistics and the chart data read every row.
Written once here, so the engine, the streamed statistics and the summary agree on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from simulator.scenario.compiled import CompiledModel

NET = 0
"""Row of net savings (gross wage savings minus every cost and loss)."""
GROSS = 1
"""Row of gross wage savings."""
FIRST_COMPONENT = 2
"""Row of the first component; component ``i`` is row ``FIRST_COMPONENT + i``."""


@dataclass(frozen=True)
class Rows:
    """The value rows of one compiled model.

    Attributes
    ----------
    n_costs : int
        Cost lines (controls included), the first components.
    n_components : int
        Every component: cost lines, risks, and the rows of a scenario that can end early.
    has_risks : bool
        Whether the scenario has risks, and so a total-risk-loss row after the components.
    """

    n_costs: int
    n_components: int
    has_risks: bool

    @classmethod
    def of(cls, model: CompiledModel) -> Rows:
        """The layout of ``model``'s values."""
        return cls(len(model.cost_names), len(model.component_names),
                   bool(len(model.risk_names)))

    @staticmethod
    def component(i: int) -> int:
        """Row of component ``i`` (an index into ``model.component_names``)."""
        return FIRST_COMPONENT + i

    @property
    def components(self) -> slice:
        """The component rows, as a slice of the value matrix."""
        return slice(FIRST_COMPONENT, FIRST_COMPONENT + self.n_components)

    @property
    def first_risk(self) -> int:
        """Row of the first risk's loss (the component after the cost lines)."""
        return FIRST_COMPONENT + self.n_costs

    @property
    def stored(self) -> int:
        """Rows a run that keeps its trials keeps per trial: net, gross and each component."""
        return FIRST_COMPONENT + self.n_components

    @property
    def risk_total(self) -> int:
        """Row of the total loss of all risk events (only when :attr:`has_risks`).

        Raises
        ------
        ValueError
            If the scenario has no risks.
        """
        if not self.has_risks:
            raise ValueError("a scenario without risks has no total-risk-loss row")
        return self.stored

    @property
    def total(self) -> int:
        """Rows of a chunk's value matrix: the stored rows and, with risks, the risk total."""
        return self.stored + (1 if self.has_risks else 0)

    @property
    def loss_rows(self) -> range:
        """The rows whose loss curves are streamed on a log scale: from the first risk to the
        last row (empty without risks).
        """
        return range(self.first_risk, self.total) if self.has_risks else range(0)
