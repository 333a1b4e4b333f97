"""Charts drawn on the server as inline SVG: no script, nothing fetched.

Labels are archived text (source names, fraud types), so every string is
XML-escaped before it goes into the markup. Each bar has a ``<title>`` that the
browser shows on hover (the exact count), so no JavaScript is needed.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

PALETTE = [
    "#1f6fb2",
    "#e0803a",
    "#3a9d5d",
    "#c8443f",
    "#8a63b8",
    "#8c6d4f",
    "#d36fae",
    "#6f7a86",
    "#b5b83a",
    "#2bb3c0",
]


def _ticks(value: int) -> tuple[int, int]:
    """(top of the axis, step between grid lines): whole numbers, at most five steps."""
    value = max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    for mult in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = magnitude * mult
        if step >= 1 and step == int(step) and value / step <= 5:
            step = int(step)
            return -(-value // step) * step, step
    return value, value


def stacked_bars(
    labels: list[str],
    series: dict[str, list[int]],
    *,
    title: str,
    width: int = 900,
    height: int = 300,
) -> Markup:
    """A stacked bar chart (one bar per label, one colour per series) as ``<svg>``."""
    left, right, top, bottom = 44, 10, 24, 48
    legend_h = 20 * ((len(series) + 3) // 4)
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    ymax, ystep = _ticks(max(totals, default=0))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height + legend_h}" width="100%" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
    ]
    if not labels:
        out.append(
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" '
            'fill="#666">no dated articles yet</text></svg>'
        )
        return Markup("".join(out))
    for value in range(0, ymax + 1, ystep):  # grid lines and y ticks
        y = top + plot_h - plot_h * value / ymax
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{value:g}</text>'
        )
    slot = plot_w / len(labels)
    bar = max(slot * 0.8, 1)
    every = max(1, int(len(labels) / (plot_w / 60)) + 1)
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for name, values in series.items():
            v = values[i]
            if not v:
                continue
            h = plot_h * v / ymax
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[name]}"><title>{escape(f"{label} · {name}: {v}")}</title></rect>'
            )
        if i % every == 0:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
                f'text-anchor="middle" fill="#333">{escape(label)}</text>'
            )
    for j, name in enumerate(series):  # legend, four to a row
        lx = left + (j % 4) * (plot_w / 4)
        ly = height + 20 * (j // 4) - 10
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12" fill="{colours[name]}"/>'
        )
        out.append(
            f'<text x="{lx + 18:.1f}" y="{ly}" font-size="12" fill="#222">'
            f"{escape(name)} ({sum(series[name])})</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))
