"""Notebook 03's "Servers per data center" plot, drawn by the notebook's own cell from a known table:
labels that do not overlap, colours that mean the state, whole-number ticks for a count of servers."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")  # draw off-screen, as nbval's kernel does

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from nbtest_support import NOTEBOOKS  # noqa: E402

TITLE = "Servers per data center, by power state"


def code_cell(containing: str) -> str:
    """The one code cell of notebook 03 whose source contains `containing`."""
    cells = json.loads((NOTEBOOKS / "03-inventory-with-pandas.ipynb").read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    [source] = [s for s in sources if containing in s]
    return source


NAMES = {"UC1": "UC1 - US West (Santa Clara)", "VA1": "VA1 - US East (Sterling)", "WA1": "WA1 - US West (Seattle)"}


@pytest.fixture
def axes(monkeypatch):
    """The notebook's two cells (the power table, then its plot) run on a known inventory; the counts
    are odd so that a half-step axis would show."""
    counts = {("UC1", "started"): 20, ("VA1", "started"): 17, ("VA1", "paused"): 3, ("WA1", "started"): 11}
    counts[("WA1", "stopped")] = 4
    rows = [(dc, state) for (dc, state), n in counts.items() for _ in range(n)]
    inventory = pd.DataFrame(
        {
            "location": [dc for dc, _ in rows],
            "datacenter": [NAMES[dc] for dc, _ in rows],
            "power_state": [state for _, state in rows],
        }
    )
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    plt.close("all")
    namespace = {"inventory": inventory, "pd": pd, "plt": plt}
    exec(code_cell("power = pd.crosstab("), namespace)
    exec(code_cell(TITLE), namespace)
    ax = plt.gca()
    ax.figure.canvas.draw()
    yield ax
    plt.close("all")


def test_the_x_labels_are_short_and_do_not_overlap(axes):
    labels = [t for t in axes.get_xticklabels() if t.get_text()]
    assert [t.get_text() for t in labels] == ["UC1", "VA1", "WA1"]
    renderer = axes.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 < right.x0, "tick labels overlap"


def _legend_colours(axes) -> dict[str, tuple[float, float, float]]:
    legend = axes.get_legend()
    return {
        text.get_text(): to_rgb(handle.get_facecolor())
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }


def test_the_colours_mean_the_state(axes):
    colours = _legend_colours(axes)
    red, green, blue = colours["started"]
    assert green > red + 0.2 and green > blue + 0.2, f"started is not green: {colours['started']}"
    red, green, blue = colours["stopped"]
    assert max(red, green, blue) - min(red, green, blue) < 0.1, f"stopped is not grey: {colours['stopped']}"
    red, green, blue = colours["paused"]
    assert red > 0.8 and 0.45 < green < 0.85 and blue < 0.3, f"paused is not amber: {colours['paused']}"


def test_the_servers_axis_counts_in_whole_numbers(axes):
    ticks = [t for t in axes.get_yticks() if axes.get_ylim()[0] <= t <= axes.get_ylim()[1]]
    assert len(ticks) >= 3
    assert all(float(t).is_integer() for t in ticks), ticks
