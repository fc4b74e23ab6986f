"""The decision-meeting report's pages: what it says (:mod:`.content`), as one
self-contained HTML page (:mod:`.html`), as PDF pages (:mod:`.pdf`), for a comparison
(:mod:`.compare`) and for the decision analyses (:mod:`.decision`).

These modules build text and figures; :mod:`simulator.output.report` reads a results folder
and writes ``report.html`` and ``report.pdf`` into it.
"""
