"""Report hook: the decision analyses, shown only when they have been run into the results
folder: the efficient frontier of control portfolios (``RESULTS_DIR/optimize/optimize.json``
from ``kposim optimize``) and what is worth finding out before deciding
(``RESULTS_DIR/voi/voi.json`` from ``kposim voi``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPTIMIZE_DIR, VOI_DIR = "optimize", "voi"
#: stem -> (sub-folder, json file, heading, how to read it)
DECISION_TEXT = {
    "frontier": (OPTIMIZE_DIR, "optimize.json", "Which controls to buy",
                 "Each point is the best portfolio of controls for its expected cost (present "
                 "value), with the 95% interval of its difference from the chosen one on the "
                 "same trials; the ringed point is the best buy within the budget."),
    "voi": (VOI_DIR, "voi.json", "What is worth finding out before deciding",
            "How much knowing each input before deciding would be worth on average (EVPPI, "
            "present value), against knowing everything (EVPI); inputs worth little need no "
            "more study."),
}


def load_decision(folder: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The decision analyses in ``folder`` (stem -> their dict) and their charts (stem ->
    SVG text, drawn from the dict where no SVG was written); both empty if none was run.
    """
    analyses: dict[str, Any] = {}
    svgs: dict[str, str] = {}
    for stem, (sub, name, _, _) in DECISION_TEXT.items():
        path = Path(folder) / sub / name
        if not path.is_file():
            continue
        analyses[stem] = json.loads(path.read_text(encoding="utf-8"))
        svg = path.parent / f"{stem}.svg"
        if svg.is_file():
            svgs[stem] = svg.read_text(encoding="utf-8")
        else:
            from simulator.present.plots.style import svg_text

            svgs[stem] = svg_text(chart(stem)(analyses[stem]))
    return analyses, svgs


def chart(stem: str):  # noqa: ANN201 - a plot function
    """The plot function of a decision chart (loads matplotlib)."""
    if stem == "frontier":
        from simulator.present.plots.frontier import plot_frontier

        return plot_frontier
    from simulator.present.plots.voi import plot_voi

    return plot_voi
