"""Server-side SVG bar charts: accessible (role=img, title and description) and drawn without
inline styles (CSP); the numbers are always in a table beside the chart.

Labels are never clipped: the value axis gets room for its longest number, category labels turn
when they would run into each other, and the drawing grows to hold them. A `target` series (a
budget) is drawn as a marker line across each group, so the bars (what happened) read against it."""
from __future__ import annotations

import math

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP = 640, 240, 20
CHAR = 7.2  # the width of a 12 px label character, generously
LEGEND_LINE = 24


def nice_ticks(peak: float, count: int = 4) -> list[float]:
    """0 and round steps up to at least `peak` (1, 2, 2.5 or 5 times a power of ten)."""
    if peak <= 0:
        return [0, 1]
    raw = peak / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    top = step * math.ceil(peak / step - 1e-9)
    return [step * i for i in range(int(round(top / step)) + 1)]


def bar_chart(chart_id: str, title: str, description: str, categories: list[str],
              series: list[tuple[str, list[float]]], *, y_label: str = "",
              target: tuple[str, list[float | None]] | None = None) -> Markup:
    """Grouped bars: one group per category, one bar per series (legend below); `target`: one
    marker line per category (left out where its value is None)."""
    values = [v for _label, vs in series for v in vs if v is not None]
    if target:
        values += [v for v in target[1] if v is not None]
    ticks = nice_ticks(max(values or [0]))
    peak = ticks[-1] or 1
    tick_texts = [_number(t) for t in ticks]
    left = 16 + CHAR * max(len(t) for t in tick_texts) + (18 if y_label else 0)
    plot_w = WIDTH - left - 12
    group_w = plot_w / max(len(categories), 1)
    longest = max((len(c) for c in categories), default=0) * CHAR
    turned = longest > group_w * 0.95
    bottom = 28 + (longest * 0.72 if turned else 0)
    plot_h = HEIGHT - TOP - 40
    base_y = TOP + plot_h
    legend_y = base_y + bottom + 14
    entries = len(series) + (1 if target else 0)
    height = legend_y + LEGEND_LINE * entries
    bar_w = min(max(group_w * 0.8 / max(len(series), 1), 1), 56)  # a lone month gets bars, not walls
    cid = escape(chart_id)
    parts = [f'<svg id="{cid}" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
             f'aria-labelledby="{cid}-title {cid}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{cid}-title">{escape(title)}</title>',
             f'<desc id="{cid}-desc">{escape(description)}</desc>']
    for tick, text in zip(ticks, tick_texts):
        y = base_y - plot_h * tick / peak
        if tick:
            parts.append(f'<line class="chart-grid" x1="{left:.1f}" y1="{y:.1f}" x2="{WIDTH - 12}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    if y_label:
        parts.append(f'<text class="chart-label chart-axis-title" x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
                     f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>')
    parts.append(f'<line class="chart-axis" x1="{left:.1f}" y1="{base_y}" x2="{WIDTH - 12}" y2="{base_y}"/>')
    for i, category in enumerate(categories):
        x0 = left + (i + 0.5) * group_w - bar_w * len(series) / 2
        for k, (_label, vs) in enumerate(series):
            h = plot_h * (vs[i] or 0) / peak
            parts.append(f'<rect class="chart-bar chart-series-{k}" x="{x0 + k * bar_w:.1f}" y="{base_y - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"/>')
        if target and target[1][i] is not None:
            y = base_y - plot_h * target[1][i] / peak
            reach = bar_w * len(series) / 2 + min(group_w * 0.08, 12)
            cx = left + (i + 0.5) * group_w
            parts.append(f'<line class="chart-target" x1="{cx - reach:.1f}" y1="{y:.1f}" '
                         f'x2="{cx + reach:.1f}" y2="{y:.1f}"/>')
        cx = left + (i + 0.5) * group_w
        if turned:
            parts.append(f'<text class="chart-label" x="{cx:.1f}" y="{base_y + 14}" text-anchor="end" '
                         f'transform="rotate(-45 {cx:.1f} {base_y + 14})">{escape(category)}</text>')
        else:
            parts.append(f'<text class="chart-label" x="{cx:.1f}" y="{base_y + 18}" text-anchor="middle">'
                         f'{escape(category)}</text>')
    for k, (label, _vs) in enumerate(series):
        y = legend_y + LEGEND_LINE * k
        parts.append(f'<rect class="chart-bar chart-series-{k}" x="{left:.1f}" y="{y - 10:.1f}" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{left + 18:.1f}" y="{y:.1f}">{escape(label)}</text>')
    if target:
        y = legend_y + LEGEND_LINE * len(series)
        parts.append(f'<line class="chart-target" x1="{left:.1f}" y1="{y - 4:.1f}" x2="{left + 12:.1f}" y2="{y - 4:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{left + 18:.1f}" y="{y:.1f}">{escape(target[0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    return text.replace(",", "\u00a0")
