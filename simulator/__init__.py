"""kposim: Monte Carlo cost-versus-risk simulation of knowledge-process outsourcing.

Typical use::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("scenarios/manila_financial_research.toml"), trials=100_000)
    result.summary()["net_savings"]["mean"]
"""
from .engine import CHUNK_SIZE, DEFAULT_SEED, simulate
from .result import SimulationResult
from .scenario import Scenario, ScenarioError, load_scenario, parse_scenario, scenario_from_dict

__all__ = ["CHUNK_SIZE", "DEFAULT_SEED", "Scenario", "ScenarioError", "SimulationResult",
           "load_scenario", "parse_scenario", "scenario_from_dict", "simulate"]
