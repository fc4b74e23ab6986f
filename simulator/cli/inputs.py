"""The commands that help write a scenario file: ``kposim fit`` (a distribution from data),
``kposim elicit`` (one from experts' ranges), ``kposim validate`` and ``kposim schema``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from simulator.cli import lazy
from simulator.cli.common import check_compiles
from simulator.cli.errors import BadInput, one_line
from simulator.cli.options import force_option, quiet_option, seed_option, strict_option
from simulator.defaults import FIT_AMOUNT_FAMILIES, FIT_BOOTSTRAP, FIT_COUNT_FAMILIES
from simulator.scenario.model import ScenarioError, load_scenario

FIT_FAMILIES = FIT_AMOUNT_FAMILIES + FIT_COUNT_FAMILIES


@click.command("fit")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--column", "-c", default=None, metavar="NAME",
              help="Column to fit (header name, or 1, 2, ... without a header) [default: the "
                   "only column].")
@click.option("--dist", "dists", multiple=True, default=("auto",), show_default=True,
              type=click.Choice([*FIT_FAMILIES, "auto"]), metavar="FAMILY",
              help=f"Family to fit ({', '.join(FIT_FAMILIES)}); give it several times to "
                   "compare some; auto fits every family of the data's kind.")
@click.option("--kind", type=click.Choice(["auto", "amounts", "counts"]), default="auto",
              show_default=True, help="Amounts (densities) or whole-number counts per period; "
                                      "auto: counts when every value is a whole number from 0 "
                                      "to 10,000.")
@click.option("--bootstrap", "-b", type=click.IntRange(min=0), default=FIT_BOOTSTRAP,
              show_default=True, help="Parametric-bootstrap refits for each p-value (0: none).")
@seed_option("Seed of the bootstrap; same seed, same p-values.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Folder for results: the chart and fit.json go to OUT/fit_<data file stem>/.")
@force_option("fit folder")
@quiet_option("No table (the notes and the snippet are printed).")
def fit_command(data: Path, column: str | None, dists: tuple[str, ...], kind: str,
                bootstrap: int, seed: int, out: Path, force: bool, quiet: bool) -> None:
    """Fit distributions to one column of DATA (a CSV file) by maximum likelihood, rank them
    by AIC, test each (Kolmogorov-Smirnov with a parametric-bootstrap p-value) and print the
    scenario-file snippet of the best. Writes fit.png, fit.svg and fit.json to
    OUT/fit_<stem>/.
    """
    fit = lazy.fit
    target = out / lazy.folders.safe_name(f"fit_{data.stem}")
    values, lines = fit.read_sample(data, column)  # a DataError goes to the one error path
    named = [d for d in dists if d != "auto"]
    if named and len(named) != len(dists):
        raise BadInput("--dist: give auto alone, or name the families to fit")
    fit.check_support(values, lines, named, data)
    with lazy.folders.claim(target, force):
        try:
            report = fit.fit_sample(values, named or None, kind=kind, bootstrap=bootstrap,
                                    seed=seed)
        except fit.FitError as e:
            raise BadInput(f"{data}: {e}") from None
        lazy.fit_output.write_fit(report, data, column, target, force)
    lazy.tables.print_fit(report, data, column, bool(named), target, quiet)


@click.command("elicit")
@click.argument("experts", required=False, type=click.Path(path_type=Path))
@click.option("--low", type=float, default=None, help="Low end of the range.")
@click.option("--likely", type=float, default=None, help="Most likely value (needed for pert).")
@click.option("--high", type=float, default=None, help="High end of the range.")
@click.option("--confidence", type=float, default=None,
              help="Share of the probability between low and high [default: 0.9].")
@click.option("--dist", type=click.Choice(["lognormal", "pert"]), default=None,
              help="Family [default: pert with a most likely value, lognormal without].")
@click.option("--key", default="value", show_default=True, help="Key of the printed snippet.")
def elicit_command(experts: Path | None, low: float | None, likely: float | None,
                   high: float | None, confidence: float | None, dist: str | None,
                   key: str) -> None:
    """Turn an expert's range (--low, --likely, --high, --confidence) into a distribution, or
    pool several experts from EXPERTS (a TOML file of [[experts]] tables, or a CSV file with
    columns name, low, likely, high, confidence, weight). Prints each snippet, its mean and its
    quantiles at the stated levels.
    """
    elicit = lazy.elicit
    given = [o for o, v in (("--low", low), ("--likely", likely), ("--high", high),
                            ("--confidence", confidence)) if v is not None]
    try:
        if experts is not None:
            if given:
                raise BadInput(f"give an experts file or {', '.join(given)}, not both")
            panel = elicit.read_experts(experts)
        else:
            if low is None or high is None:
                raise BadInput("give --low and --high (and optionally --likely, --confidence), "
                               "or an experts file")
            panel = [elicit.Expert(low=low, high=high, likely=likely,
                                   confidence=0.9 if confidence is None else confidence)]
            panel[0].check()
        if len(panel) == 1:
            members, pooled = [elicit.elicit(panel[0], dist)], None
        else:
            pooled = elicit.pool(panel, dist)
            members = pooled.members
    except elicit.ElicitError as e:
        where = "" if experts is None or str(e).startswith(str(experts)) else f"{experts}: "
        raise BadInput(f"{where}{e}") from None
    lazy.tables.print_elicited(members, pooled, key)


@click.command()
@click.argument("scenarios", nargs=-1, required=True)
@strict_option
def validate(scenarios: tuple[str, ...], strict: bool) -> None:
    """Check scenario files without running them."""
    failed = []
    for path in scenarios:
        try:
            s = load_scenario(path)
            check = check_compiles(s, Path(path), strict)
        except (ScenarioError, BadInput) as e:
            text = e.one_line() if isinstance(e, ScenarioError) else e.format_message()
            click.echo(f"error: {one_line(text)}", err=True)
            failed.append(path)
            continue
        for warning in [*s.semantic_warnings(), *check.warnings]:
            click.echo(f"warning: {path}: {warning}", err=True)
        click.echo(f"ok: {path}: {s.name!r}, {s.scenario.horizon_years} years, "
                   f"{len(s.costs)} cost lines, {len(s.risks)} risks"
                   + (f", {check.correlated} correlated inputs" if check.correlated else ""))
    if failed:
        sys.exit(2)


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors that validate and complete TOML
    (kposim schema > kposim.schema.json; see docs/vscode.md).
    """
    click.echo(json.dumps(lazy.schema.json_schema(), indent=2))
