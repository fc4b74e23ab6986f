"""Minor tick marks drawn as one line of markers, not as one matplotlib Tick apiece.

A log axis has dozens of unlabelled minor ticks (2 to 9 of every decade). matplotlib makes a
:class:`~matplotlib.axis.Tick` for each, five artists strong, and places, formats and measures
every one of them at each layout pass and drawing: some 70 ms of the 170 ms the loss
exceedance chart (two log axes) takes to draw. :func:`minor_tick_marks` draws the same marks,
in the same style, at the same places, as one line of tick markers instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.lines import Line2D
from matplotlib.ticker import Locator, NullFormatter, NullLocator


def minor_tick_marks(axis: Axis) -> None:
    """Draw ``axis``'s minor ticks (as its minor locator places them, e.g. a log axis's)
    without labels, as one line of tick marks per side that has them, styled as the axis's
    minor ticks are now: so call it once the axis is styled (``tick_params``) and scaled.
    The axis keeps no minor ticks of its own (its minor locator is a NullLocator).
    """
    ax = axis.axes
    tick = axis.get_minor_ticks(1)[0]  # the one made anyway; it holds the minor tick style
    locator = axis.get_minor_locator()
    for line in (tick.tick1line, tick.tick2line):
        if line.get_visible():
            ax.add_artist(_TickMarks(axis, locator, line))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


class _TickMarks(Artist):
    """The tick marks (``like``: a tick line of the axis) at the minor locations of
    ``axis`` that its ticks would draw: those of ``locator`` within the view, less any on a
    major tick, found afresh at each drawing as matplotlib finds its ticks. An artist of its
    own, not a Line2D, so that it is not taken for a line of the chart (``ax.get_lines()``).
    """

    def __init__(self, axis: Any, locator: Locator, like: Line2D) -> None:
        super().__init__()
        self._line = Line2D([], [])
        self._line.update_from(like)  # marker, size, width, colour and transform
        self.set_zorder(axis.get_zorder())  # drawn with the axis, below the spines
        self.set_in_layout(False)  # the spines' extent already holds the longer major ticks
        self.set_label("_minor ticks")
        self._axis = axis
        self._locator = locator
        self._x = axis.axis_name == "x"
        # Where across the axis the marks sit (0 or 1: the bottom or top, left or right).
        self._across = float(np.asarray(like.get_ydata() if self._x else like.get_xdata())[0])

    def _locations(self) -> np.ndarray:
        """What ``Axis.get_minorticklocs`` and ``Axis._update_ticks`` would draw."""
        axis = self._axis
        locs = np.asarray(self._locator(), dtype=np.float64)
        if locs.size == 0:
            return locs
        transform = axis.get_transform()
        lo, hi = sorted(transform.transform(np.asarray(axis.get_view_interval(), float)))
        at = transform.transform(locs)
        if axis.remove_overlapping_locs:  # none where a major tick is
            major = transform.transform(np.asarray(axis.major.locator(), dtype=np.float64))
            if major.size:
                on_major = np.isclose(at[:, None], major[None, :], atol=(hi - lo) * 1e-5,
                                      rtol=0).any(axis=1)
                locs, at = locs[~on_major], at[~on_major]
        slack = (hi - lo) * 1e-10  # as matplotlib.transforms._interval_contains_close
        return locs[(lo - slack <= at) & (at <= hi + slack)]

    def draw(self, renderer: Any) -> None:
        """Draw the marks at the current minor locations (none if the axis is hidden)."""
        if not (self.get_visible() and self._axis.get_visible() and self._axis.axes.axison):
            return
        locs = self._locations()
        across = np.full_like(locs, self._across)
        self._line.set_data((locs, across) if self._x else (across, locs))
        self._line.draw(renderer)
        self.stale = False
