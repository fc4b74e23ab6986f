"""Property-based tests: random scenario documents, valid and invalid.

The loader either accepts a document and the run succeeds with every statistic finite (or
stops with the documented NonFiniteError), or it rejects the document with a ScenarioError.
It never fails any other way.
"""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import ScenarioError, scenario_from_dict, simulate
from simulator.engine import NonFiniteError

numbers = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(min_value=-1000, max_value=10**7),
    st.sampled_from([0, 0.5, 1, 3, 1e12, float("inf"), float("nan")]),
)
junk = st.one_of(st.text(max_size=5), st.booleans(), st.lists(st.integers(), max_size=2),
                 st.none())


def dist(positive: bool = False):
    p = st.floats(min_value=0.001 if positive else -5, max_value=1e6, allow_nan=False)
    return st.one_of(
        p,
        st.builds(lambda a, w: {"dist": "uniform", "min": a, "max": a + w}, p,
                  st.floats(min_value=-1, max_value=1e5)),
        st.builds(lambda a, m, b: {"dist": "triangular", "min": a, "mode": a + m, "max": a + m + b},
                  p, st.floats(0, 1e4), st.floats(0, 1e4)),
        st.builds(lambda a, m, b: {"dist": "pert", "min": a, "mode": a + m, "max": a + m + b},
                  p, st.floats(0, 1e4), st.floats(0, 1e4)),
        st.builds(lambda m, s: {"dist": "normal", "mean": m, "sd": s, "min": 0.0}, p,
                  st.floats(-1, 1e4)),
        st.builds(lambda lo, hi: {"dist": "lognormal", "low": lo, "high": hi},
                  st.floats(-1, 1e5), st.floats(-1, 1e8)),
        st.builds(lambda mu, s: {"dist": "lognormal", "mu": mu, "sigma": s},
                  st.floats(-5, 20), st.floats(-0.5, 6)),
        st.builds(lambda a, b: {"dist": "gamma", "shape": a, "scale": b}, st.floats(-1, 50),
                  st.floats(-1, 1e5)),
        st.builds(lambda a, b: {"dist": "beta", "a": a, "b": b}, st.floats(-1, 30),
                  st.floats(-1, 30)),
        st.builds(lambda v: {"dist": "empirical", "values": v},
                  st.lists(st.floats(0, 1e6), max_size=5)),
        st.builds(lambda k, v: {"dist": k, **v}, st.sampled_from(["nope", "uniform", "pert"]),
                  st.dictionaries(st.sampled_from(["min", "max", "x"]), numbers, max_size=2)),
        junk,
    )


counts = st.one_of(
    st.builds(lambda m: {"dist": "poisson", "mean": m}, st.floats(-1, 20)),
    st.builds(lambda p: {"dist": "bernoulli", "p": p}, st.floats(-0.5, 1.5)),
    st.builds(lambda m, k: {"dist": "negative_binomial", "mean": m, "dispersion": k},
              st.floats(-1, 20), st.floats(-1, 10)),
    st.integers(-2, 4),
    dist(),
)

risk = st.fixed_dictionaries(
    {"name": st.sampled_from(["Breach", "Quality", "Exit"]),
     "category": st.sampled_from(["breach", "quality", "exit", "other", "bogus"]),
     "frequency": counts, "severity": dist(positive=True)},
    optional={"cap_per_event": numbers, "cap_per_year": numbers},
)
cost = st.fixed_dictionaries(
    {"name": st.sampled_from(["Transition", "Governance", "Travel"]),
     "category": st.sampled_from(["transition", "governance", "communication"]),
     "timing": st.sampled_from(["once", "yearly", "sometimes"])},
    optional={"amount": dist(positive=True), "share_of": st.sampled_from(
        ["offshore_cost", "onshore_cost", "gross_savings", "profit"]),
        "share": dist(positive=True), "year": st.integers(0, 4), "growth": dist()},
)
document = st.fixed_dictionaries({
    "scenario": st.fixed_dictionaries(
        {"name": st.text(min_size=0, max_size=10), "horizon_years": st.integers(-1, 32)},
        optional={"discount_rate": st.floats(-0.2, 1.2), "currency": st.sampled_from(
            ["USD", "EUR", "usd", "DOLLARS"]), "cash_flow_timing": st.sampled_from(
            ["start", "mid", "end", "never"])}),
    "workforce": st.fixed_dictionaries(
        {"onshore_fte": dist(positive=True), "onshore_cost_per_fte": dist(positive=True),
         "offshore_fte": dist(positive=True), "offshore_cost_per_fte": dist(positive=True)},
        optional={"onshore_cost_growth": dist(), "offshore_cost_growth": dist(),
                  "ramp_up_months": dist(positive=True)}),
    "costs": st.lists(cost, max_size=3),
    "risks": st.lists(risk, max_size=3),
}, optional={"extra": junk})


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(document)
def test_loader_accepts_and_runs_or_refuses_cleanly(doc):
    try:
        s = scenario_from_dict(doc, source="generated.toml")
    except ScenarioError as e:
        assert e.problems and all(str(p) for p in e.problems)
        return
    try:
        summary = simulate(s, trials=2000, seed=1).summary()
    except NonFiniteError as e:
        assert "overflowed" in str(e)
        return
    json.dumps(summary, allow_nan=False)  # every statistic finite


positive = st.floats(min_value=1.0, max_value=1e6)
valid_level = st.one_of(
    positive,
    st.builds(lambda a, w: {"dist": "uniform", "min": a, "max": a + w}, positive, positive),
    st.builds(lambda a, m, b: {"dist": "pert", "min": a, "mode": a + m, "max": a + m + b},
              positive, st.floats(0, 1e5), st.floats(1, 1e5)),
    st.builds(lambda lo, r: {"dist": "lognormal", "low": lo, "high": lo * r}, positive,
              st.floats(1.01, 1e3)),
    st.builds(lambda k, s: {"dist": "gamma", "shape": k, "scale": s}, st.floats(0.05, 50),
              positive),
)
valid_risk = st.builds(
    lambda name, f, sev: {"name": name, "category": "breach", "frequency": f, "severity": sev},
    st.sampled_from(["A", "B"]),
    st.one_of(st.builds(lambda m: {"dist": "poisson", "mean": m}, st.floats(0, 30)),
              st.builds(lambda p: {"dist": "bernoulli", "p": p}, st.floats(0, 1))),
    valid_level)
valid_document = st.builds(
    lambda h, r, wf, risks: {
        "scenario": {"name": "generated", "horizon_years": h, "discount_rate": r},
        "workforce": {"onshore_fte": wf[0], "onshore_cost_per_fte": wf[1],
                      "offshore_fte": wf[2], "offshore_cost_per_fte": wf[3],
                      "ramp_up_months": {"dist": "triangular", "min": 0, "mode": 3, "max": 18}},
        "risks": list({r["name"]: r for r in risks}.values())},
    # From 2 years: the ramp-up (up to 18 months) must lie within the horizon.
    st.integers(2, 30), st.floats(0, 0.5), st.tuples(valid_level, valid_level, valid_level,
                                                     valid_level),
    st.lists(valid_risk, max_size=2))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(valid_document)
def test_valid_documents_load_and_give_finite_statistics(doc):
    s = scenario_from_dict(doc, source="generated.toml")
    summary = simulate(s, trials=2000, seed=2).summary()
    json.dumps(summary, allow_nan=False)
