"""``kposim serve``: a local page where moving an assumption re-runs the simulation.

:mod:`.edits` turns the page's sliders and fields into an edited scenario (and its TOML, with
the original comments); :mod:`.session` runs it on the baseline's seed and compares it with
the baseline trial by trial; :mod:`.app` serves the page and its API (Starlette, on
127.0.0.1). Needs the ``serve`` extra: ``pip install 'kposim[serve]'``.
"""
