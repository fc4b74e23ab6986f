"""kposim: Monte Carlo cost-versus-risk simulation of knowledge-process outsourcing.

Typical use::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("scenarios/manila_financial_research.toml"), trials=100_000)
    result.summary()["net_savings"]["mean"]

The names below load on first use (PEP 562), so that importing a submodule, such as the
command line's entry point, does not import numba first.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"CHUNK_SIZE": "engine.run", "DEFAULT_SEED": "defaults", "simulate": "engine.run",
          "simulate_many": "engine.run", "SimulationResult": "results.result",
          "Summary": "results.summary", "Sampling": "defaults",
          "KposimWarning": "diagnostics", "ModelWarning": "diagnostics",
          "Scenario": "scenario.model", "ScenarioError": "scenario.model",
          "load_scenario": "scenario.model", "parse_scenario": "scenario.model",
          "scenario_from_dict": "scenario.model", "parse_distribution": "scenario.model"}

__all__ = ["CHUNK_SIZE", "DEFAULT_SEED", "KposimWarning", "ModelWarning", "Sampling", "Scenario",
           "ScenarioError", "SimulationResult", "Summary", "load_scenario", "parse_distribution",
           "parse_scenario", "scenario_from_dict", "simulate", "simulate_many"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
