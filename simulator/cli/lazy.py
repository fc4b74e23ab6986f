"""The modules the commands use, each imported on the first attribute asked of it.

``kposim validate`` and ``kposim schema`` then never load the engine, numba, scipy.stats,
matplotlib or rich (most of a start-up). This is the one place the command line defers an
import: the commands write ``lazy.engine.simulate(...)``, never an import inside a function.
The import itself is the ordinary one, so an interrupted import leaves nothing half-loaded.
Type checkers see the plain imports.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


class OnFirstUse:
    """Module ``name``, imported on the first attribute asked of it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    import numba.core.config as numba_config

    import simulator.analysis.compare as compare
    import simulator.analysis.elicit as elicit
    import simulator.analysis.fit as fit
    import simulator.analysis.optimize as optimize
    import simulator.analysis.pilot as pilot
    import simulator.analysis.sensitivity as sensitivity
    import simulator.analysis.sweep as sweep
    import simulator.analysis.voi as voi
    import simulator.cli.tables as tables
    import simulator.engine.cluster as cluster
    import simulator.engine.kernels as kernels
    import simulator.engine.run as engine
    import simulator.output.charts as charts
    import simulator.output.comparison as comparison
    import simulator.output.fit as fit_output
    import simulator.output.folders as folders
    import simulator.output.report as report
    import simulator.output.write as write
    import simulator.present.report.content as content
    import simulator.results.precision as precision
    import simulator.scenario.compiled as compiled
    import simulator.scenario.schema as schema
    import simulator.serve.app as serve_app
else:
    compare = OnFirstUse("simulator.analysis.compare")
    elicit = OnFirstUse("simulator.analysis.elicit")
    fit = OnFirstUse("simulator.analysis.fit")
    optimize = OnFirstUse("simulator.analysis.optimize")
    pilot = OnFirstUse("simulator.analysis.pilot")
    sensitivity = OnFirstUse("simulator.analysis.sensitivity")
    sweep = OnFirstUse("simulator.analysis.sweep")
    voi = OnFirstUse("simulator.analysis.voi")
    tables = OnFirstUse("simulator.cli.tables")
    cluster = OnFirstUse("simulator.engine.cluster")
    kernels = OnFirstUse("simulator.engine.kernels")
    engine = OnFirstUse("simulator.engine.run")
    charts = OnFirstUse("simulator.output.charts")
    comparison = OnFirstUse("simulator.output.comparison")
    fit_output = OnFirstUse("simulator.output.fit")
    folders = OnFirstUse("simulator.output.folders")
    report = OnFirstUse("simulator.output.report")
    write = OnFirstUse("simulator.output.write")
    content = OnFirstUse("simulator.present.report.content")
    precision = OnFirstUse("simulator.results.precision")
    compiled = OnFirstUse("simulator.scenario.compiled")
    schema = OnFirstUse("simulator.scenario.schema")
    numba_config = OnFirstUse("numba.core.config")
    serve_app = OnFirstUse("simulator.serve.app")
