"""The warehouse's views: one row per session, what each source saw of it side by side.

A session can reach Sluice three ways: the player's own events (the SDK), its CMCD reports to
``/cmcd``, and its media requests in the CDN's real-time logs. All three carry the CMCD session id
when the player has one (the SDK hands its id to the player's CMCD, see clients/web), so the
sources join on ``session_id``: ``player_sessions`` puts the player's startup and stalls beside
the edge's errors, cache hits and time to first byte. Plain SQL that Redshift and PostgreSQL
both run (no LISTAGG / string_agg: they are spelt differently).
"""

from __future__ import annotations

from sluice.warehouse.tables import FACT_TABLE

__all__ = ["CDN_ERROR_STATUS", "CDN_TYPE", "CMCD_TYPE", "SESSIONS_VIEW", "drop_view_sql", "sessions_view_sql"]

SESSIONS_VIEW = "player_sessions"

# Event types by source; every other type is the player's own (the SDK's).
CMCD_TYPE = "cmcd"
CDN_TYPE = "cdn_request"
# A CDN request that failed: a status the viewer's player takes as an error.
CDN_ERROR_STATUS = 400


def sessions_view_sql(fact: str = FACT_TABLE, view: str = SESSIONS_VIEW) -> str:
    sdk = f"event_type NOT IN ('{CMCD_TYPE}', '{CDN_TYPE}')"
    cdn = f"event_type = '{CDN_TYPE}'"
    return f"""CREATE VIEW {view} AS
SELECT
    session_id,
    MIN(client_time) AS first_seen,
    MAX(client_time) AS last_seen,
    MAX(content_id) AS content_id,
    SUM(CASE WHEN {sdk} THEN 1 ELSE 0 END) AS sdk_events,
    SUM(CASE WHEN event_type = '{CMCD_TYPE}' THEN 1 ELSE 0 END) AS cmcd_reports,
    SUM(CASE WHEN {cdn} THEN 1 ELSE 0 END) AS cdn_requests,
    MAX(CASE WHEN {sdk} THEN player_name END) AS sdk_player_name,
    MAX(CASE WHEN {sdk} THEN player_version END) AS sdk_player_version,
    MAX(CASE WHEN {sdk} THEN startup_time_ms END) AS sdk_startup_time_ms,
    SUM(CASE WHEN event_type = 'buffering_start' THEN 1 ELSE 0 END) AS sdk_stalls,
    MAX(cmcd_msd) AS cmcd_startup_delay_ms,
    MAX(cmcd_br) AS cmcd_max_bitrate_kbps,
    SUM(CASE WHEN {cdn} AND cdn_status >= {CDN_ERROR_STATUS} THEN 1 ELSE 0 END) AS cdn_request_errors,
    SUM(CASE WHEN {cdn} AND cdn_result_type IN ('Hit', 'RefreshHit') THEN 1 ELSE 0 END) AS cdn_cache_hits,
    COUNT(DISTINCT cdn_edge_location) AS cdn_edge_locations,
    MIN(cdn_edge_location) AS cdn_edge_location,
    AVG(cdn_time_to_first_byte_ms) AS cdn_avg_time_to_first_byte_ms,
    MAX(cdn_time_to_first_byte_ms) AS cdn_max_time_to_first_byte_ms,
    SUM(cdn_bytes_sent) AS cdn_bytes_sent,
    MIN(cdn_sampling_rate) AS cdn_sampling_rate,
    MAX(CASE WHEN cmcd_session_inferred THEN 1 ELSE 0 END) = 1 AS session_inferred
FROM {fact}
GROUP BY session_id"""  # noqa: S608 - names and literals from the code, none from a client


def drop_view_sql(view: str = SESSIONS_VIEW) -> str:
    return f"DROP VIEW IF EXISTS {view}"
