"""Server-side SVG bar charts: accessible (role=img, title and description) and drawn without
inline styles (CSP); the numbers are always in a table beside the chart."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 48, 40, 12


def bar_chart(chart_id: str, title: str, description: str, categories: list[str],
              series: list[tuple[str, list[float]]]) -> Markup:
    """Grouped bars: one group per category, one bar per series (legend below)."""
    peak = max([v for _label, values in series for v in values if v is not None] or [0]) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group_w = plot_w / max(len(categories), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    parts = [f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 24 * len(series)}" role="img" '
             f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
             f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}"/>',
             f'<text class="chart-label" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{_number(peak)}</text>',
             f'<text class="chart-label" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>']
    for i, category in enumerate(categories):
        x0 = LEFT + i * group_w + group_w * 0.1
        for k, (_label, values) in enumerate(series):
            value = values[i] or 0
            h = plot_h * value / peak
            parts.append(f'<rect class="chart-bar chart-series-{k}" x="{x0 + k * bar_w:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{LEFT + (i + 0.5) * group_w:.1f}" y="{TOP + plot_h + 16}" '
                     f'text-anchor="middle">{escape(category)}</text>')
    for k, (label, _values) in enumerate(series):
        y = HEIGHT + 24 * k
        parts.append(f'<rect class="chart-bar chart-series-{k}" x="{LEFT}" y="{y - 10}" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{LEFT + 18}" y="{y}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")
