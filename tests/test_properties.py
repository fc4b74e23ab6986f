"""Property-based tests: random scenario documents, valid and invalid.

The loader either accepts a document and the run succeeds with every statistic finite (or
stops with the documented NonFiniteError), or it rejects the document with a ScenarioError.
It never fails any other way.
"""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import ScenarioError, scenario_from_dict, simulate
from simulator.engine.run import NonFiniteError

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

layer = st.fixed_dictionaries({}, optional={
    "deductible": numbers, "share": st.floats(-0.5, 1.5), "limit": numbers,
    "per": st.sampled_from(["event", "year", "month"])})
risk = st.fixed_dictionaries(
    {"name": st.sampled_from(["Breach", "Quality", "Exit"]),
     "category": st.sampled_from(["breach", "quality", "exit", "regulatory", "ip", "other",
                                  "bogus"]),
     "frequency": counts, "severity": dist(positive=True)},
    optional={"cap_per_event": numbers, "cap_per_year": numbers,
              # model 0.2 (docs/model.md, "The deal as it unfolds")
              "side": st.sampled_from(["provider", "in_house", "client"]),
              "ends_engagement": st.booleans(),
              "exit_timing": st.sampled_from(["end", "start", "uniform", "later"]),
              "reentry_cost": dist(positive=True), "reentry_ramp_months": dist(),
              "reentry_overrun": dist(), "recovery": layer,
              "recoveries": st.lists(layer, max_size=2),
              "secondary": st.fixed_dictionaries({"probability": st.floats(-0.5, 1.5),
                                                  "severity": dist(positive=True)}),
              "raises": st.lists(st.fixed_dictionaries(
                  {"risk": st.sampled_from(["Breach", "Quality", "Exit", "Nope"]),
                   "factor": st.floats(-1, 2000), "years": st.integers(-1, 40)}), max_size=2),
              "currency": st.sampled_from(["USD", "PHP", "EUR"])},
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
}, optional={"extra": junk, "fx": st.fixed_dictionaries(
    {"currency": st.sampled_from(["PHP", "USD", "php"]), "rate": numbers},
    optional={"annual_volatility": st.floats(-0.5, 1.5), "drift": st.floats(-1, 1)})})


@settings(max_examples=150, deadline=None, derandomize=True,
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
    # high / low up to 100: two inputs at 1e3 (sigma 2.1) multiply to past the 1e30 that a
    # trial may reach at their most extreme draws, which validation rightly refuses.
    st.builds(lambda lo, r: {"dist": "lognormal", "low": lo, "high": lo * r}, positive,
              st.floats(1.01, 1e2)),
    st.builds(lambda k, s: {"dist": "gamma", "shape": k, "scale": s}, st.floats(0.05, 50),
              positive),
)
valid_terms = st.fixed_dictionaries({}, optional={  # model 0.2, valid values only
    "side": st.sampled_from(["provider", "in_house"]),
    "recovery": st.fixed_dictionaries({}, optional={
        "deductible": st.floats(0, 1e6), "share": st.floats(0, 1),
        "limit": st.floats(1, 1e7), "per": st.sampled_from(["event", "year"])}),
    "secondary": st.fixed_dictionaries({"probability": st.floats(0, 1),
                                        "severity": valid_level}),
    "raises": st.lists(st.fixed_dictionaries({"risk": st.sampled_from(["A", "B"]),
                                              "factor": st.floats(0.1, 1.1),  # within the event limit
                                              "years": st.integers(1, 3)}), max_size=1),
})
valid_exit = st.fixed_dictionaries({"ends_engagement": st.just(True)}, optional={
    "exit_timing": st.sampled_from(["end", "start", "uniform"]),
    "reentry_cost": valid_level, "reentry_ramp_months": st.floats(0, 24),
    "reentry_overrun": st.floats(0, 1)})


def _with_terms(risk: dict, terms: dict, exit_terms: dict | None) -> dict:
    risk = {**risk, **terms}
    if exit_terms is not None and risk.get("side") != "in_house":
        risk.update(exit_terms)
    return risk


def _known_targets(risks: list[dict]) -> list[dict]:
    """The risks with raises only into risks that are there (names are made unique above)."""
    names = {r["name"] for r in risks}
    return [{**r, "raises": [x for x in r.get("raises", []) if x["risk"] in names]}
            for r in risks]


valid_risk = st.builds(
    lambda name, f, sev, terms, exit_terms: _with_terms(
        {"name": name, "category": "breach", "frequency": f, "severity": sev}, terms,
        exit_terms),
    st.sampled_from(["A", "B"]),
    st.one_of(st.builds(lambda m: {"dist": "poisson", "mean": m}, st.floats(0, 30)),
              st.builds(lambda p: {"dist": "bernoulli", "p": p}, st.floats(0, 1))),
    valid_level, valid_terms, st.one_of(st.none(), valid_exit))
valid_document = st.builds(
    lambda h, r, wf, risks: {
        "scenario": {"name": "generated", "horizon_years": h, "discount_rate": r},
        "workforce": {"onshore_fte": wf[0], "onshore_cost_per_fte": wf[1],
                      "offshore_fte": wf[2], "offshore_cost_per_fte": wf[3],
                      "ramp_up_months": {"dist": "triangular", "min": 0, "mode": 3, "max": 18}},
        "risks": _known_targets(list({r["name"]: r for r in risks}.values()))},
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


# --- the command line on any document (issue 14) -------------------------------------------

wild_number = st.one_of(
    st.floats(),  # inf and nan too: a TOML file can hold them
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),  # beyond int64 too
    st.sampled_from([0, 1, 3, 50, -1, -2, 1.5, 1e15, 1e300, -1e300, 2 ** 63]),
)


def wild_dist():
    w = wild_number
    return st.one_of(
        w,
        st.builds(lambda a, b: {"dist": "uniform", "min": a, "max": b}, w, w),
        st.builds(lambda m, s: {"dist": "lognormal", "mu": m, "sigma": s}, w, w),
        st.builds(lambda m, s, lo: {"dist": "normal", "mean": m, "sd": s, "min": lo}, w, w, w),
        st.builds(lambda a, m, b: {"dist": "pert", "min": a, "mode": m, "max": b}, w, w, w),
        st.builds(lambda m: {"dist": "poisson", "mean": m}, w),
        st.builds(lambda s: {"dist": "poisson", "mean": {"dist": "lognormal", "mu": 0,
                                                          "sigma": s}}, w),
        st.builds(lambda v, p: {"dist": "discrete", "values": v, "weights": p},
                  st.lists(w, min_size=1, max_size=3), st.lists(w, min_size=1, max_size=3)),
        dist(),
    )


hostile_name = st.one_of(st.text(max_size=12), st.sampled_from(
    ["Breach", "Brеach", "a\nb", "x\x00", "=1+1", "<script>", "\u202eevil"]))
hostile_document = st.fixed_dictionaries({
    "scenario": st.fixed_dictionaries(
        {"name": hostile_name, "horizon_years": st.integers(-1, 32)},
        optional={"discount_rate": wild_number}),
    "workforce": st.fixed_dictionaries(
        {k: wild_dist() for k in ("onshore_fte", "onshore_cost_per_fte", "offshore_fte",
                                  "offshore_cost_per_fte")},
        optional={k: wild_dist() for k in ("onshore_cost_growth", "offshore_cost_growth",
                                           "ramp_up_months")}),
    "costs": st.lists(st.fixed_dictionaries(
        {"name": hostile_name, "category": st.just("transition"),
         "timing": st.sampled_from(["once", "yearly"])},
        optional={"amount": wild_dist(), "growth": wild_dist()}), max_size=2),
    "risks": st.lists(st.fixed_dictionaries(
        {"name": hostile_name, "category": st.just("breach"), "frequency": wild_dist(),
         "severity": wild_dist()},
        optional={"cap_per_event": wild_number}), max_size=2),
})


def toml_text(doc: dict) -> str:
    """A TOML document of ``doc``: top-level tables, arrays of tables, inline values."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if v != v else ("inf" if v > 0 else "-inf") if v in (
                float("inf"), float("-inf")) else repr(v)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()
                                    if x is not None) + " }"
        raise TypeError(type(v))

    out = []
    for key, section in doc.items():
        tables = section if isinstance(section, list) else [section]
        for table in tables:
            out.append(f"[[{key}]]" if isinstance(section, list) else f"[{key}]")
            out += [f"{json.dumps(k)} = {value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(out) + "\n"


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.one_of(hostile_document, valid_document))
def test_validate_accepts_and_the_run_is_finite_or_refuses_with_exit_2_and_one_line(
        tmp_path_factory, doc):
    from click.testing import CliRunner

    from simulator import load_scenario
    from simulator.cli import main

    path = tmp_path_factory.mktemp("doc") / "generated.toml"
    path.write_text(toml_text(doc), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    if res.exit_code != 0:
        assert res.exit_code == 2, res.output
        (line,) = res.output.splitlines()
        assert line.startswith(f"error: {path}: ")
        return
    summary = simulate(load_scenario(path), trials=1000, seed=1).summary()
    json.dumps(summary, allow_nan=False)  # every statistic finite
