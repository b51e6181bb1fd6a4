"""Notebook 05's CPU plot, drawn by the notebook's own cell from a known time series: one line per
server plus the alert threshold, labelled axes with units, a legend that covers no data, tick labels
that do not overlap, and a scale that holds every value."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")  # draw off-screen, as nbval's kernel does

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from nbtest_support import NOTEBOOKS  # noqa: E402

NOTEBOOK = NOTEBOOKS / "05-networks-policies-and-monitoring.ipynb"
SERVERS = ["wa1aliasweb01", "wa1aliasweb02"]


def code_cell(containing: str) -> str:
    """The one code cell of notebook 05 whose source contains `containing`."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    [source] = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and containing in "".join(c["source"])]
    return source


@pytest.fixture
def axes(monkeypatch):
    """The plot cell run on a day of hourly samples whose values reach 0 and 100 %, the extremes the
    legend could cover."""
    hours = pd.date_range("2024-06-04 08:00", periods=24, freq="h", tz="UTC")
    stats = pd.DataFrame(
        [
            {"timestamp": t, "server_id": sid, "cpu_percent": float(min(100, (i * 9 + k * 40) % 101))}
            for i, t in enumerate(hours)
            for k, sid in enumerate(SERVERS)
        ]
    )
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    plt.close("all")
    exec(code_cell("stats.pivot("), {"stats": stats, "pd": pd, "plt": plt, "mdates": mdates})
    ax = plt.gca()
    ax.figure.canvas.draw()
    yield ax
    plt.close("all")


def test_one_line_per_server_and_the_alert_threshold(axes):
    labels = [line.get_label() for line in axes.get_lines()]
    assert labels[:2] == [s.upper() for s in SERVERS]
    [threshold] = [line for line in axes.get_lines() if "threshold" in line.get_label()]
    assert set(threshold.get_ydata()) == {80}


def test_axes_say_what_and_in_which_unit(axes):
    assert axes.get_title()
    assert "%" in axes.get_ylabel() and "UTC" in axes.get_xlabel()
    low, high = axes.get_ylim()
    assert low <= 0 and high >= 100, "a CPU share of 0 or 100 % would fall off the plot"


def test_the_legend_covers_no_data(axes):
    renderer = axes.figure.canvas.get_renderer()
    legend = axes.get_legend().get_window_extent(renderer)
    plot_area = axes.get_window_extent(renderer)
    assert legend.x0 >= plot_area.x1 or legend.y0 >= plot_area.y1, "the legend sits on the plot area"
    figure = axes.figure.bbox
    assert legend.x1 <= figure.x1 + 1, "the legend is cut off by the figure's edge"


def test_the_time_labels_do_not_overlap(axes):
    labels = [t for t in axes.get_xticklabels() if t.get_text()]
    assert len(labels) >= 4
    renderer = axes.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 < right.x0, "tick labels overlap"
