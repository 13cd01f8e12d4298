"""``sluice health report``: the player-health metrics over time as an HTML page of SVG charts,
with the alerts marked where they were raised. Windows are combined over shards first (counters
summed, sketches merged); ratios are taken after."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sluice.monitor.aggregate import Aggregate
from sluice.monitor.qoe import metrics
from sluice.monitor.rules import Alert
from sluice.monitor.store import WindowRecord

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CHARTS = (
    ("all", "attempts", "Attempts per window (all traffic)", False),
    ("cdn", "video_start_failure_rate", "Video start failure rate by CDN", True),
    ("cdn", "fatal_error_rate", "Fatal errors per attempt by CDN", True),
    ("player_version", "rebuffer_ratio", "Rebuffer ratio by player version", True),
    ("device_class", "startup_time_p95_ms", "Startup time p95 (ms) by device class", False),
    ("cdn", "average_bitrate_kbps", "Average bitrate (kbps) by CDN", False),
)


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[str, float]]


def combine(records: Iterable[WindowRecord]) -> dict[tuple[str, str], dict[str, Aggregate]]:
    """(dimension, value) -> window start -> the window's aggregate over every shard."""
    combined: dict[tuple[str, str], dict[str, Aggregate]] = defaultdict(dict)
    for record in records:
        slot = combined[(record.dimension, record.value)].setdefault(record.window_start, Aggregate())
        slot.merge(record.aggregate)
    return combined


def series(combined: dict[tuple[str, str], dict[str, Aggregate]], dimension: str, metric: str) -> list[Series]:
    found = []
    for (dim, value), windows in sorted(combined.items()):
        if dim != dimension:
            continue
        points = [(start, v) for start, a in sorted(windows.items()) if (v := metrics(a).get(metric)) is not None]
        if points:
            found.append(Series(value, points))
    return found


def _chart(
    title: str, lines: list[Series], alerts: list[Alert], *, dimension: str, percent: bool, times: list[str]
) -> str:
    width, height, left, right, top, bottom = 900, 260, 60, 170, 30, 40
    if not times:
        return ""
    x_of = {t: left + (width - left - right) * (i / max(1, len(times) - 1)) for i, t in enumerate(times)}
    peak = max((v for s in lines for _, v in s.points), default=1.0) or 1.0

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / (peak * 1.1))

    def fmt(value: float) -> str:
        return f"{value:.1%}" if percent else f"{value:,.0f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
    ]
    parts.append(f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>')
    for fraction in (0, 0.5, 1.0):
        value = peak * 1.1 * fraction
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#ddd"/><text x="4" y="{y(value) + 4:.1f}" font-size="10">{fmt(value)}</text>'
        )
    for alert in alerts:
        if alert.dimension not in (dimension, "all"):
            continue
        if alert.window_start in x_of:
            x = x_of[alert.window_start]
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#d62728" stroke-dasharray="4 3"/>'
            )
            parts.append(
                f'<text x="{x + 3:.1f}" y="{top + 12}" font-size="10" fill="#d62728">ALERT {html.escape(alert.value)}: {html.escape(alert.rule)}</text>'
            )
    for index, line in enumerate(lines[: len(PALETTE)]):
        colour = PALETTE[index]
        path = " ".join(f"{x_of[t]:.1f},{y(v):.1f}" for t, v in line.points if t in x_of)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.append(
            f'<text x="{width - right + 8}" y="{top + 14 * (index + 1)}" font-size="11" fill="{colour}">{html.escape(line.label)}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 12}" font-size="10">{html.escape(times[0])}</text><text x="{width - right - 110}" y="{height - 12}" font-size="10">{html.escape(times[-1])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render_html(records: Iterable[WindowRecord], alerts: list[Alert], title: str = "Sluice player health") -> str:
    combined = combine(records)
    times = sorted({start for windows in combined.values() for start in windows})
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{len(times)} windows from {html.escape(times[0] if times else '-')} to {html.escape(times[-1] if times else '-')}; generated {datetime.now().astimezone().isoformat(timespec='seconds')}</p>",
    ]
    if alerts:
        body.append(
            "<h2>Alerts</h2><table><tr><th>window</th><th>rule</th><th>dimension</th><th>metric</th><th>value</th><th>baseline</th><th>detail</th></tr>"
        )
        for a in sorted(alerts, key=lambda a: a.window_start):
            body.append(
                f"<tr><td>{html.escape(a.window_start)}</td><td>{html.escape(a.rule)}</td><td>{html.escape(a.dimension)}={html.escape(a.value)}</td><td>{html.escape(a.metric)}</td><td>{a.observed:.2%}</td><td>{a.baseline:.2%}</td><td>{html.escape(a.detail)}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append("<p>No alerts.</p>")
    for dimension, metric, chart_title, percent in CHARTS:
        body.append(
            _chart(
                chart_title,
                series(combined, dimension, metric),
                alerts,
                dimension=dimension,
                percent=percent,
                times=times,
            )
        )
    style = "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}svg{display:block;margin:1em 0}"
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head><body>{''.join(body)}</body></html>"
