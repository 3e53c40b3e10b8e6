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
