"""Server-rendered SVG charts for the kengetallen page: no script, no inline CSS (the pages' CSP allows
neither), only presentation attributes; every text is escaped. Each chart has a <title> and a <desc> for
screen readers; the page shows the same figures in a table as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

__all__ = ["PALETTE", "bar_chart", "stacked_bars"]

PALETTE = (
    "#1f4e79",
    "#a65e00",
    "#2e6b30",
    "#a4262c",
    "#6b4e9b",
    "#0f7b83",
    "#8a6d00",
    "#5c5c5c",
    "#c2185b",
    "#33691e",
)
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _a(text: str) -> str:
    return escape(str(text), {'"': "&quot;"})


def _nice_max(value: int) -> int:
    """A top for the scale that divides into four whole-number steps (1 → 4, 7 → 8, 130 → 200)."""
    step = max(1, -(-value // 4))
    if step > 10:
        magnitude = 10 ** (len(str(step)) - 1)
        step = -(-step // magnitude) * magnitude
    return step * 4


def stacked_bars(
    title: str, columns: Sequence[str], series: Mapping[str, Sequence[int]], *, width: int = 760, height: int = 260
) -> Markup:
    """One stacked bar per column (e.g. a week), one colour per series (e.g. an aanvraagtype), a legend."""
    names = list(series)
    totals = [sum(series[n][i] for n in names) for i in range(len(columns))]
    top = _nice_max(max(totals, default=0))
    left, bottom, legend_h = 36, 34, 18 * ((len(names) + 1) // 2)
    plot_w, plot_h = width - left - 10, height - bottom - 10
    full_h = height + legend_h + 8
    slot = plot_w / max(1, len(columns))
    bar_w = max(4.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {full_h}" width="{width}" '
        f'height="{full_h}" {_FONT}>',
        f"<title>{_a(title)}</title><desc>{_a(_describe(columns, totals))}</desc>",
    ]
    for k in range(5):  # grid and scale
        value = top * k / 4
        y = 10 + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#d0d5dd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{value:.0f}</text>')
    for i, column in enumerate(columns):
        x = left + slot * i + (slot - bar_w) / 2
        y = 10 + plot_h
        for j, name in enumerate(names):
            n = series[name][i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{_a(column)} · {_a(name)}: {n}</title></rect>'
            )
        if len(columns) <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 24}" text-anchor="middle" fill="#333">'
                f"{_a(column)}</text>"
            )
    for j, name in enumerate(names):
        lx = left + (j % 2) * (plot_w / 2)
        ly = height + 4 + 18 * (j // 2)
        parts.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>')
        label = name if len(name) <= 60 else name[:59] + "…"
        parts.append(f'<text x="{lx + 16:.1f}" y="{ly + 10}" fill="#333">{_a(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def bar_chart(title: str, items: Sequence[tuple[str, int]], *, width: int = 760) -> Markup:
    """Horizontal bars, one per item (e.g. a refusal reason), longest first as given."""
    row_h, label_w = 24, 330
    height = max(1, len(items)) * row_h + 12
    top = _nice_max(max((n for _, n in items), default=0))
    plot_w = width - label_w - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" {_FONT}>',
        f"<title>{_a(title)}</title>",
        f"<desc>{_a('; '.join(f'{label}: {n}' for label, n in items) or 'geen gegevens')}</desc>",
    ]
    for i, (label, n) in enumerate(items):
        y = 6 + i * row_h
        shown = label if len(label) <= 46 else label[:45] + "…"
        w = plot_w * n / top if top else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="#333">{_a(shown)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{PALETTE[0]}">'
            f"<title>{_a(label)}: {n}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" fill="#333">{n}</text>')
    if not items:
        parts.append(f'<text x="{label_w}" y="20" fill="#555">Geen gegevens in deze periode.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def _describe(columns: Sequence[str], totals: Sequence[int]) -> str:
    return "; ".join(f"{c}: {t}" for c, t in zip(columns, totals, strict=True)) or "geen gegevens"
