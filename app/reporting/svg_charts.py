"""Small charts drawn on the server as inline SVG (inside HTML, so without an xmlns address):
no JavaScript, no fonts or files fetched, so they work offline and under the site's
Content-Security-Policy. Every text that reaches the markup goes through markupsafe.escape
(a city or enterprise name is user data). Each chart names itself for screen readers
(role="img", <title>, <desc>, aria-labelledby); the page puts a table with the same numbers
after it."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# Fonts installed with the operating system (and the WenQuanYi face the certificates use),
# never a web font: the chart must not load anything.
FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
COLOURS = ("#337ab7", "#5cb85c", "#f0ad4e", "#d9534f")
WIDTH = 640


def _open(chart_id: str, title: str, width: int, height: int, description: str) -> str:
    cid = escape(chart_id)
    return (f'<svg class="dashboard-chart" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'style="max-width: 100%; height: auto" '
            f'aria-labelledby="{cid}-title {cid}-desc" font-family="{escape(FONT)}" font-size="12">'
            f'<title id="{cid}-title">{escape(title)}</title>'
            f'<desc id="{cid}-desc">{escape(description)}</desc>')


def _fit(text: str, limit: int = 14) -> str:
    """Shorten a long label; the table under the chart has it in full."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, value), labels on the left and values at the ends."""
    row_height, label_width, top = 22, 170, 6
    height = top * 2 + row_height * max(1, len(rows))
    largest = max((value for _label, value in rows), default=0) or 1
    span = WIDTH - label_width - 60
    summary = "；".join(f"{label} {value}" for label, value in rows)
    parts = [_open(chart_id, title, WIDTH, height, summary)]
    for n, (label, value) in enumerate(rows):
        y = top + n * row_height
        length = round(span * value / largest)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="#333">'
            f'{escape(_fit(str(label)))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row_height - 6}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" fill="#333">{int(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_columns(chart_id: str, title: str, categories: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """Vertical columns per category (here: a week), one colour per series, with a legend
    and a scale. `series` is [(name, values in the order of categories)]."""
    height, left, bottom, top = 260, 44, 40, 30
    plot_h = height - top - bottom
    largest = max((v for _name, values in series for v in values), default=0)
    scale_max = _nice_ceiling(largest)
    slot = (WIDTH - left - 10) / max(1, len(categories))
    bar = max(2.0, (slot - 6) / max(1, len(series)))
    summary = "；".join(f"{cat}: " + "，".join(f"{name} {values[i]}" for name, values in series)
                       for i, cat in enumerate(categories))
    parts = [_open(chart_id, title, WIDTH, height, summary)]
    for step in range(5):  # scale lines at 0, ¼, ½, ¾ and the top
        value = scale_max * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#666">{value:g}</text>')
    for i, category in enumerate(categories):
        x0 = left + i * slot + 3
        for s, (_name, values) in enumerate(series):
            h = plot_h * values[i] / scale_max if scale_max else 0
            parts.append(f'<rect x="{x0 + s * bar:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar - 1:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[s % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x0 + slot / 2 - 3:.1f}" y="{height - bottom + 14}" '
                     f'text-anchor="middle" fill="#333" font-size="10">'
                     f'{escape(_fit(str(category), 8))}</text>')
    for s, (name, _values) in enumerate(series):
        x = left + s * 130
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" '
                     f'fill="{COLOURS[s % len(COLOURS)]}"/>'
                     f'<text x="{x + 16}" y="18" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_ceiling(value: int) -> int:
    """A top for the scale at or above `value` whose quarters (the scale lines) are whole
    numbers of applications: four times a round step (1, 2, 5 × 10^n); 4 when all are 0."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if 4 * factor * magnitude >= value:
                return 4 * factor * magnitude
        magnitude *= 10
