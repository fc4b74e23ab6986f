"""The return of each control (mitigation), on common random numbers.

For every control the scenario is run again without it, same seed and trials: the inputs it
shares with the full scenario draw the same numbers, and a risk's event counts come from the
same uniforms (inversion), so a lower rate gives fewer events in the same trials. The
difference between the two runs is the control's effect, free of sampling noise between them.

return on control = (expected loss avoided - expected cost of the control) / expected cost
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulator.engine.run import simulate
from simulator.results.result import SimulationResult
from simulator.scenario.model import Scenario, scenario_from_dict


def without(scenario: Scenario, name: str) -> Scenario:
    """The scenario with control ``name`` (its cost and its effects) removed."""
    doc = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["controls"] = [c for c in doc["controls"] if c["name"] != name]
    return scenario_from_dict(doc, source=f"{scenario.source} without {name}")


def _risk_loss(result: SimulationResult) -> np.ndarray:
    return result.risk_losses if len(result.model.risk_names) else np.zeros(result.trials)


def control_returns(result: SimulationResult, threads: int | None = None,
                    backend: Any = None) -> dict[str, Any]:
    """Each control's cost, loss avoided and return, and net savings with and without it.

    ``result`` is a run of the full scenario that kept its trials; money is present value
    over the horizon. Standard errors come from the paired per-trial differences.
    ``backend``: compute the reruns on a cluster (:mod:`simulator.engine.cluster`); same results.
    """
    scenario = result.scenario
    if not result.stored:
        raise ValueError("control returns need a run that kept its trials")
    out = {}
    n = result.trials
    for control in scenario.controls:
        # Same seed and design: the two runs share their random numbers trial by trial.
        other = simulate(without(scenario, control.name), trials=n, seed=result.seed,
                         threads=threads, store_trials=True, sampling=result.sampling,
                         backend=backend)
        avoided = _risk_loss(other) - _risk_loss(result)
        cost = result.components[control.name]
        gain = result.net_savings - other.net_savings  # = avoided - cost, trial by trial
        mean_cost = float(cost.mean())
        out[control.name] = {
            "cost": mean_cost,
            "loss_avoided": float(avoided.mean()),
            "loss_avoided_stderr": float(avoided.std(ddof=1) / math.sqrt(n)),
            "net_gain": float(gain.mean()),
            "net_gain_stderr": float(gain.std(ddof=1) / math.sqrt(n)),
            "return_on_control": (float(gain.mean()) / mean_cost if mean_cost > 0
                                  else None),
            "net_savings_with": float(result.net_savings.mean()),
            "net_savings_without": float(other.net_savings.mean()),
            "prob_loss_with": float(np.mean(result.net_savings < 0)),
            "prob_loss_without": float(np.mean(other.net_savings < 0)),
        }
    return out
