"""Server-rendered SVG charts (no JavaScript, no inline styles: CSS classes and SVG attributes).

Every chart is also shown as a table of its numbers by the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

PERCENT_KEYS = frozenset(
    {
        "stickiness",
        "stickiness_avg_30d",
        "member_content_share_30d",
        "no_reply_share",
        "referral_rate_30d",
        "retention_30",
        "retention_60",
        "retention_90",
        "poll_participation_30d",
    }
)


def fmt(key: str, value: float | int | None) -> str:
    """Display a metric value: "—" for null (never 0), percentages for shares, rounding only here."""
    if value is None:
        return "—"
    if key in PERCENT_KEYS:
        return f"{value * 100:.1f}%"
    if key == "ttfr_median_hours":
        return f"{value:.1f} h"
    if isinstance(value, float):
        return f"{value:.2f}"
    return f"{value:,}"


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Split a series at nulls so that a missing value is a gap, not a drop to zero."""
    out: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for p in points:
        if p is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(p)
    if current:
        out.append(current)
    return out


def _path(segment: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)


def sparkline(values: Sequence[float | int | None], *, width: int = 120, height: int = 32) -> SafeString:
    numbers = [v for v in values if v is not None]
    if len(numbers) < 2:
        return mark_safe("")
    top = max(numbers) or 1
    bottom = min(0, min(numbers))
    n = len(values)
    pts = [
        None
        if v is None
        else (
            i * (width - 2) / max(n - 1, 1) + 1,
            height - 2 - (v - bottom) / (top - bottom or 1) * (height - 4),
        )
        for i, v in enumerate(values)
    ]
    lines = "".join(
        format_html('<polyline class="spark-line" fill="none" points="{}"/>', _path(seg))
        if len(seg) > 1
        else format_html('<circle class="spark-dot" r="1.5" cx="{:.1f}" cy="{:.1f}"/>', seg[0][0], seg[0][1])
        for seg in _segments(pts)
    )
    return mark_safe(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-hidden="true" focusable="false">{lines}</svg>'
    )


def _tick(key: str, peak: float, frac: float) -> str:
    value = peak * frac
    if isinstance(peak, int) and float(value).is_integer():
        value = int(value)
    return fmt(key, value)


def line_chart(
    *, title: str, days: Sequence[date], series: Sequence[tuple[str, str, Sequence[float | int | None]]]
) -> SafeString:
    """``series``: (key, label, values aligned with ``days``)."""
    width, height, left, right, top, bottom = 640, 220, 52, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [v for _, _, values in series for v in values if v is not None]
    if not days or not numbers:
        return mark_safe("")
    peak = max(numbers) or 1
    n = len(days)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label="{escape(title)}" focusable="false">'
    ]
    key0 = series[0][0]
    for frac in (0, 0.5, 1):
        y = top + plot_h - frac * plot_h
        parts.append(f'<line class="chart-grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_tick(key0, peak, frac))}</text>"
        )
    parts.append(f'<text class="chart-axis" x="{left}" y="{height - 8}">{days[0].isoformat()}</text>')
    parts.append(
        f'<text class="chart-axis" x="{width - right}" y="{height - 8}" text-anchor="end">'
        f"{days[-1].isoformat()}</text>"
    )
    for index, (_key, label, values) in enumerate(series, 1):
        pts = [
            None if v is None else (left + (i * plot_w / max(n - 1, 1)), top + plot_h - v / peak * plot_h)
            for i, v in enumerate(values)
        ]
        for seg in _segments(pts):
            if len(seg) == 1:
                parts.append(
                    f'<circle class="series-{index}" r="2.5" cx="{seg[0][0]:.1f}" cy="{seg[0][1]:.1f}">'
                    f"<title>{escape(label)}</title></circle>"
                )
            else:
                parts.append(
                    f'<polyline class="series-{index}" fill="none" stroke-width="2" points="{_path(seg)}">'
                    f"<title>{escape(label)}</title></polyline>"
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def heat_class(value: float | None) -> str:
    if value is None:
        return "heat-none"
    return f"heat-{min(5, int(value * 5))}"


# Cohorts smaller than this are shown as "too small": 1 of 1 retained is not "100 %".
MIN_COHORT_SIZE = 5


def cohort_heatmap(cohorts: Sequence[object]) -> SafeString:
    """Weeks (rows) × day 30/60/90 (columns); darker = more retained; blank = not final yet;
    weeks with fewer than ``MIN_COHORT_SIZE`` new members are greyed out as "too small"."""
    if not cohorts:
        return mark_safe("")
    cell_w, cell_h, label_w, head = 90, 22, 150, 24
    width = label_w + 3 * cell_w
    height = head + cell_h * len(cohorts)
    parts = [
        f'<svg class="heatmap" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Retention by join week" focusable="false">'
    ]
    for col, n in enumerate((30, 60, 90)):
        parts.append(
            f'<text class="chart-axis" x="{label_w + col * cell_w + cell_w / 2}" y="16" '
            f'text-anchor="middle">day {n}</text>'
        )
    for row, c in enumerate(cohorts):
        y = head + row * cell_h
        parts.append(
            f'<text class="chart-axis" x="{label_w - 8}" y="{y + 15}" text-anchor="end">'
            f"{c.week_start.isoformat()} ({c.size})</text>"
        )
        too_small = c.size < MIN_COHORT_SIZE
        for col, n in enumerate((30, 60, 90)):
            value = getattr(c, f"retention_{n}")
            x = label_w + col * cell_w
            cls = "heat-small" if too_small and value is not None else heat_class(value)
            strong = " heat-label-strong" if cls in ("heat-4", "heat-5") else ""
            label = "too small" if too_small and value is not None else fmt(f"retention_{n}", value)
            if too_small and value is not None:
                strong = " heat-label-small"
            parts.append(
                f'<rect class="{cls}" x="{x + 1}" y="{y + 1}" '
                f'width="{cell_w - 2}" height="{cell_h - 2}" rx="3"/>'
            )
            parts.append(
                f'<text class="heat-label{strong}" '
                f'x="{x + cell_w / 2}" y="{y + 15}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
