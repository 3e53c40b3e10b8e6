"""Bar charts as plain SVG, drawn on the server: no chart library, no CDN, no script.

>>> svg = bar_chart([("Mo", 3), ("<b>", 1)], "Test")
>>> "<b>" in svg, "&lt;b&gt;" in svg
(False, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
BAR_HEIGHT = 22
LABEL_WIDTH = 200


def bar_chart(data: Sequence[tuple[str, float]], title: str, unit: str = "") -> str:
    """A horizontal bar chart; each bar labelled with its name and value."""
    height = max(len(data), 1) * BAR_HEIGHT + 10
    top = max((value for _, value in data), default=0) or 1
    scale = (WIDTH - LABEL_WIDTH - 70) / top
    rows = []
    for index, (label, value) in enumerate(data):
        y = 5 + index * BAR_HEIGHT
        shown = f"{value:g}{unit}"
        rows.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(label[:32])}</text>"
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{value * scale:.1f}" '
            f'height="{BAR_HEIGHT - 6}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{LABEL_WIDTH + value * scale + 6:.1f}" y="{y + 15}">{shown}</text>'
        )
    if not data:
        rows.append(f'<text x="10" y="20">{escape("keine Daten / no data")}</text>')
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>'
    )


COLUMN_HEIGHT = 160
LABEL_EVERY = 5


def column_chart(data: Sequence[tuple[str, float]], title: str, unit: str = "") -> str:
    """Vertical columns for a time series; every fifth label shown, each value in a tooltip.

    >>> "<title>05-01: 2%</title>" in column_chart([("05-01", 2)], "T", "%")
    True
    """
    top = max((value for _, value in data), default=0) or 1
    step = (WIDTH - 20) / max(len(data), 1)
    parts = []
    for index, (label, value) in enumerate(data):
        x = 10 + index * step
        height = value / top * COLUMN_HEIGHT
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{10 + COLUMN_HEIGHT - height:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{height:.1f}">'
            f"<title>{escape(label)}: {value:g}{unit}</title></rect>"
        )
        if index == len(data) - 1:  # the newest day, aligned to the right edge
            parts.append(
                f'<text x="{x + step:.1f}" y="{COLUMN_HEIGHT + 28}" text-anchor="end">'
                f"{escape(label)}</text>"
            )
        elif index % LABEL_EVERY == 0 and index < len(data) - 3:
            parts.append(f'<text x="{x:.1f}" y="{COLUMN_HEIGHT + 28}">{escape(label)}</text>')
    parts.append(f'<text x="10" y="10">max {top:g}{unit}</text>')
    height = COLUMN_HEIGHT + 36
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
