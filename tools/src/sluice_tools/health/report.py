"""The health report: the fleet's QoE metrics window by window (all shards combined), one chart per
metric, every incident's span shaded and its cause named, and beside the fleet the incident's own
cause. Charts by plotly, with plotly.js inlined so the page opens offline."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sluice.monitor.aggregate import Cause
from sluice.monitor.incidents import AlertMessage, cause_text
from sluice.monitor.qoe import metrics
from sluice.monitor.store import FleetWindow

__all__ = ["CDN_CHARTS", "CHARTS", "IncidentSpan", "render_html", "spans"]

# (metric key in qoe.metrics, chart title, axis title, tick format): the QoE metrics the rules test
CHARTS = (
    ("video_start_failure_rate", "Video start failures", "failed starts per attempt", ".1%"),
    ("exit_before_video_start_rate", "Exits before video start", "exits per attempt", ".1%"),
    ("startup_time_p95_ms", "Startup time, p95", "milliseconds", ",.0f"),
    ("rebuffer_ratio", "Rebuffer ratio", "stalled time / playing time", ".2%"),
    ("fatal_error_share", "Fatal error share", "sessions ended by a fatal error", ".1%"),
    ("attempts", "Attempts", "session starts per window", ",.0f"),
)
# From the CDN's requests: drawn when the windows hold any (a fleet whose CDN logs are read)
CDN_CHARTS = (
    ("media_request_error_rate", "Media request errors", "requests answered 400 or more", ".2%"),
    ("sessions_first_requests_failed_rate", "Sessions whose first requests all failed", "per session seen", ".1%"),
    ("time_to_first_byte_p95_ms", "Time to first byte, p95", "milliseconds", ",.0f"),
    ("origin_first_byte_p95_ms", "Origin first-byte latency, p95", "milliseconds", ",.0f"),
)
SHADE, FLEET_COLOUR, CAUSE_COLOURS = "rgba(214,39,40,0.13)", "#1f77b4", ("#d62728", "#ff7f0e", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class IncidentSpan:
    incident_id: str
    cause: Cause
    rule: str
    start: str
    end: str | None  # the window it was resolved in; None while open
    messages: tuple[AlertMessage, ...]


def spans(messages: Sequence[AlertMessage]) -> list[IncidentSpan]:
    by_id: dict[str, list[AlertMessage]] = {}
    for message in sorted(messages, key=lambda m: m.window_start):
        by_id.setdefault(message.incident_id, []).append(message)
    found = []
    for incident, history in by_id.items():
        resolved = next((m for m in history if m.status == "resolved"), None)
        last = ([m for m in history if m.status != "resolved"] or history)[-1]  # the cause as last named
        found.append(
            IncidentSpan(
                incident,
                tuple(last.cause.items()),
                history[0].rule,
                history[0].window_start,
                resolved.window_end if resolved else None,
                tuple(history),
            )
        )
    return found


def render_html(
    windows: Sequence[FleetWindow], messages: Sequence[AlertMessage], title: str = "Sluice player health"
) -> str:
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    times = [_time(w.start) for w in windows]
    incidents = spans(messages)
    last = (times[-1] + _step(times)) if times else None
    figures = []
    cdn = any(w.aggregates.everything.counts["media_requests"] for w in windows)
    for key, chart, axis, tick in CHARTS + (CDN_CHARTS if cdn else ()):
        figure = go.Figure()
        figure.add_trace(
            go.Scatter(
                x=times,
                y=[metrics(w.aggregates.everything).get(key) for w in windows],
                name="fleet",
                mode="lines+markers",
                line={"color": FLEET_COLOUR, "width": 2},
            )
        )
        for index, incident in enumerate(incidents):
            colour = CAUSE_COLOURS[index % len(CAUSE_COLOURS)]
            if incident.cause != (("all", "all"),):
                figure.add_trace(
                    go.Scatter(
                        x=times,
                        y=[_metric(w, incident.cause, key) for w in windows],
                        name=cause_text(incident.cause),
                        mode="lines+markers",
                        line={"color": colour, "width": 2, "dash": "dot"},
                    )
                )
            end = _time(incident.end) if incident.end else last
            figure.add_vrect(
                x0=_time(incident.start),
                x1=end,
                fillcolor=SHADE,
                line_width=0,
                layer="below",
                annotation_text=f"{cause_text(incident.cause)}: {incident.rule}",
                annotation_position="top left",
                annotation_font={"size": 11, "color": colour},
            )
        figure.update_layout(
            title={"text": chart},
            height=300,
            margin={"l": 70, "r": 20, "t": 50, "b": 40},
            legend={"orientation": "h", "y": -0.25},
            template="plotly_white",
        )
        figure.update_yaxes(title_text=axis, tickformat=tick, rangemode="tozero")
        figure.update_xaxes(title_text="window start (UTC)")
        figures.append(figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}"))
    head = (
        f"<h1>{html.escape(title)}</h1><p>{len(windows)} windows"
        + (f" from {html.escape(windows[0].start)} to {html.escape(windows[-1].start)}" if windows else "")
        + " (all shards combined).</p>"
    )
    style = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>{head}{_table(incidents)}{''.join(figures)}</body></html>"
    )


def _table(incidents: list[IncidentSpan]) -> str:
    if not incidents:
        return "<p id='incidents'>No incidents.</p>"
    rows = []
    for incident in incidents:
        opened = incident.messages[0]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    incident.incident_id,
                    cause_text(incident.cause),
                    f"{opened.metric}: {opened.observed} against {opened.baseline}",
                    f"{opened.explains_share:.0%}" if opened.explains_share is not None else "-",
                    opened.fleet_rate_without_cause if opened.fleet_rate_without_cause is not None else "-",
                    f"{opened.impacted_requests} requests"
                    if opened.impacted_requests is not None
                    else f"{opened.impacted_sessions} sessions",
                    ", ".join(cause_text(tuple(i.items())) for i in opened.impacted) or "-",
                    f"{incident.start} to {incident.end or 'open'}",
                )
            )
            + "</tr>"
        )
    header = "".join(
        f"<th>{h}</th>"
        for h in (
            "incident",
            "cause",
            "when opened",
            "explains",
            "fleet rate without it",
            "impacted (beyond the baseline)",
            "knock-on (not alerted)",
            "span",
        )
    )
    return f"<h2>Incidents</h2><table id='incidents'><tr>{header}</tr>{''.join(rows)}</table>"


def _metric(window: FleetWindow, cause: Cause, key: str) -> float | None:
    aggregate = window.aggregates.get(cause)
    return metrics(aggregate).get(key) if aggregate is not None else None


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _step(times: list[datetime]) -> timedelta:
    return times[-1] - times[-2] if len(times) > 1 else timedelta(minutes=1)
