"""The return of each control (mitigation), on common random numbers.

For every control the scenario is run again without it, same seed and trials: the inputs it
shares with the full scenario draw the same numbers, and a risk's event counts come from the
same uniforms (inversion), so a lower rate gives fewer events in the same trials. The
difference between the two runs is the control's effect, free of sampling noise between them.

    return on control = (expected loss avoided - expected cost of the control) / expected cost

This module holds the two halves that need no engine: the scenario without a control
(:func:`without`) and the figures from the two runs (:func:`control_return`). The reruns are
:func:`simulator.engine.run.control_returns`', which :func:`simulator.simulate` calls.
"""
from __future__ import annotations

import math

import numpy as np

from simulator.results.run import RunRecord
from simulator.results.summary import ControlReturn
from simulator.scenario.model import Scenario, scenario_from_dict


def without(scenario: Scenario, name: str) -> Scenario:
    """The scenario with control ``name`` (its cost and its effects) removed.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with a control called ``name``.
    name : str
        The control's name.

    Returns
    -------
    Scenario
        The same scenario without that control, validated again.
    """
    doc = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["controls"] = [c for c in doc["controls"] if c["name"] != name]
    return scenario_from_dict(doc, source=f"{scenario.source} without {name}")


def _risk_loss(result: RunRecord) -> np.ndarray:
    return result.risk_losses if len(result.model.risk_names) else np.zeros(result.trials)


def control_return(result: RunRecord, other: RunRecord, name: str) -> ControlReturn:
    """The return of control ``name``, from a run with it and a run without it.

    Parameters
    ----------
    result : RunRecord
        The full scenario's run; it kept its trials.
    other : RunRecord
        The run of :func:`without` ``(result.scenario, name)``, same seed, trials and design.
    name : str
        The control's name (a component of ``result``).

    Returns
    -------
    ControlReturn
        Means over the trials, currency (present value over the horizon); standard errors from
        the paired per-trial differences; probabilities as shares.
    """
    n = result.trials
    net, other_net = result.kept.net_savings, other.kept.net_savings
    avoided = _risk_loss(other) - _risk_loss(result)
    cost = result.components[name]
    gain = net - other_net  # = avoided - cost, trial by trial
    mean_cost = float(cost.mean())
    return {
        "cost": mean_cost,
        "loss_avoided": float(avoided.mean()),
        "loss_avoided_stderr": float(avoided.std(ddof=1) / math.sqrt(n)),
        "net_gain": float(gain.mean()),
        "net_gain_stderr": float(gain.std(ddof=1) / math.sqrt(n)),
        "return_on_control": float(gain.mean()) / mean_cost if mean_cost > 0 else None,
        "net_savings_with": float(net.mean()),
        "net_savings_without": float(other_net.mean()),
        "prob_loss_with": float(np.mean(net < 0)),
        "prob_loss_without": float(np.mean(other_net < 0)),
    }
