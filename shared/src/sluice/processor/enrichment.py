"""Enrichment: device, OS and browser from the user agent (uap-core rules through ua-parser),
lags, and the QoE figures an event allows (the traffic flag is cleaning's)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sluice.events.bounds import clip, max_bytes
from sluice.runtime.errors import PoisonRecordError

__all__ = ["BOT_CLASS", "PARSER_BOT_DEVICE", "EnrichmentError", "classify_user_agent", "enrich"]


class EnrichmentError(PoisonRecordError):
    failure_type = "enrichment"


_TV_MARKERS = (
    "smart-tv",
    "smarttv",
    "tizen",
    "webos",
    "hbbtv",
    "appletv",
    "android tv",
    "roku",
    "crkey",
    "bravia",
    "aft",
)
_CONSOLE_FAMILIES = ("playstation", "xbox", "nintendo")
# uap-core's device family for crawlers, scripts and monitors (Googlebot, Python-urllib, ...):
# their device class is BOT_CLASS, which the processor flags whatever SLUICE_BOT_PATTERN says.
PARSER_BOT_DEVICE = "Spider"
BOT_CLASS = "bot"


@lru_cache(maxsize=4096)
def classify_user_agent(user_agent: str) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(device class, OS family, OS version, browser family, browser version).

    Cached: a fleet has few distinct user agents, and a parse costs far more than a lookup.
    """
    from ua_parser import parse  # the rules load on first use, not at cold start of other stages

    result = parse(user_agent)
    device = (result.device.family if result.device else "Other") or "Other"
    os_family = result.os.family if result.os else None
    lowered = user_agent.lower()
    if device == PARSER_BOT_DEVICE:
        device_class = BOT_CLASS
    elif any(family in device.lower() for family in _CONSOLE_FAMILIES):
        device_class = "console"
    elif any(marker in lowered for marker in _TV_MARKERS):
        device_class = "tv"
    elif device in ("iPad",) or "tablet" in lowered or (os_family == "Android" and "mobile" not in lowered):
        device_class = "tablet"
    elif "mobi" in lowered or device in ("iPhone", "iPod"):
        device_class = "mobile"
    elif os_family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora"):
        device_class = "desktop"
    else:
        device_class = "other"
    return (
        device_class,
        os_family,
        _version(result.os) if result.os else None,
        result.user_agent.family if result.user_agent else None,
        _version(result.user_agent) if result.user_agent else None,
    )


def _version(part: Any) -> str | None:
    numbers = [n for n in (part.major, part.minor, part.patch) if n]
    return ".".join(numbers) or None


_LIMITS = {
    name: max_bytes(f"enrichment.{name}")
    for name in ("device_class", "os_family", "os_version", "browser_family", "browser_version")
}


def enrich(record: dict[str, Any], now_ms: int) -> None:
    """In place: sets ``record["enrichment"]``."""
    ingest = record.get("ingest") or {}
    user_agent = ingest.get("user_agent")
    try:
        device_class, os_family, os_version, browser, browser_version = (
            classify_user_agent(user_agent) if user_agent else (None, None, None, None, None)
        )
    except Exception as exc:
        raise EnrichmentError(f"user agent could not be parsed: {exc}") from exc
    payload = record.get("payload")
    rebuffer_ratio = None
    if payload is not None and payload[0].endswith(".HeartbeatPayload"):
        fields = payload[1]
        played = fields["watch_time_ms"] + fields["rebuffer_time_ms"]
        rebuffer_ratio = fields["rebuffer_time_ms"] / played if played > 0 else None
    record["enrichment"] = {
        # Parsed out of a client's user agent: clipped to the schema's bounds like any field
        # Sluice fills itself, so a crafted user agent cannot make a row the warehouse refuses.
        "device_class": clip(device_class, _LIMITS["device_class"]),
        "os_family": clip(os_family, _LIMITS["os_family"]),
        "os_version": clip(os_version, _LIMITS["os_version"]),
        "browser_family": clip(browser, _LIMITS["browser_family"]),
        "browser_version": clip(browser_version, _LIMITS["browser_version"]),
        "ingest_lag_ms": record["server_time"] - record["client_time"],
        "process_lag_ms": now_ms - record["server_time"],
        "rebuffer_ratio": rebuffer_ratio,
        # Set by cleaning.flag_traffic when the event is not viewing.
        "traffic_class": None,
        "traffic_reason": None,
    }
