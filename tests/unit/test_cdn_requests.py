"""Real-time log lines as cdn_request events: media requests kept and the rest counted, CMCD
from the fields, the query or the headers, the session from sid or inferred, one event per
request however often its line comes."""

from __future__ import annotations

import json
import uuid

import pytest
from support.cdn_lines import line

from sluice.cdn.fields import field_names
from sluice.cdn.logline import FieldCountError, FieldValueError, parse_line
from sluice.cdn.requests import LineCounts, read_line, to_event
from sluice.cmcd.session import inferred_session_id, utc_day

ORDER = field_names()
SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"


def event(**overrides: str):
    found = to_event(parse_line(line(**overrides), ORDER))
    assert found is not None
    return found


def test_a_segment_request_becomes_a_cdn_request_event():
    got = event()
    assert got["event_type"] == "cdn_request"
    assert got["client_time"] == 1733100000123  # the request's time, not when Sluice read it
    assert got["cdn"] == {"name": "cloudfront", "host": "video.example.com"}
    assert got["content"]["id"] == "/vod/big-buck-bunny"
    assert got["ingest"] == {
        "request_id": "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "country": "NL",
        "client_ip_prefix": "198.51.100.0/24",
    }
    payload = got["payload"]
    assert payload["cdn_edge_location"] == "AMS1-C1"
    assert payload["cdn_result_type"] == "Hit"
    assert payload["cdn_status"] == 200
    assert payload["cdn_time_to_first_byte_ms"] == 2.0
    assert payload["cdn_time_taken_ms"] == 82.0
    assert payload["cdn_bytes_sent"] == 1045619
    assert payload["cdn_cache_behavior"] == "/vod/*"
    assert payload["cdn_origin_first_byte_ms"] is None  # a hit: no origin fetch
    assert payload["cmcd_source"] is None


def test_the_full_client_address_is_nowhere_in_the_event():
    got = event(c_ip="2001:db8:85a3:8d3:1319:8a2e:370:7348", x_forwarded_for="198.51.100.99")
    assert got["ingest"]["client_ip_prefix"] == "2001:db8:85a3::/48"
    text = json.dumps(got)
    assert "1319:8a2e" not in text and "198.51.100.99" not in text


def test_a_redelivered_line_is_one_event():
    first, again = event(), event()
    assert first["event_id"] == again["event_id"]
    assert uuid.UUID(first["event_id"]).version == 5
    assert event(x_edge_request_id="other-request==")["event_id"] != first["event_id"]


@pytest.mark.parametrize(
    ("stem", "content_type"),
    [
        ("/vod/bbb/720p/seg_1.ts", "video/MP2T"),
        ("/vod/bbb/master.m3u8", "application/vnd.apple.mpegurl"),
        ("/vod/bbb/manifest.mpd", "application/dash+xml"),
        ("/vod/bbb/audio_en/init.mp4", "-"),
        ("/vod/bbb/subs/en.vtt", "text/vtt"),
        ("/live/chunk", "video/iso.segment"),  # no extension: the content type tells
        ("/live/chunk", "audio/mp4;%20codecs%3Dmp4a.40.2"),
    ],
)
def test_media_requests_are_kept(stem, content_type):
    assert event(cs_uri_stem=stem, sc_content_type=content_type)["payload"]["cdn_path"] == stem


@pytest.mark.parametrize(
    ("stem", "content_type"),
    [("/favicon.ico", "image/x-icon"), ("/index.html", "text/html"), ("/api/config", "application/json")],
)
def test_other_requests_are_dropped_and_counted(stem, content_type):
    counts = LineCounts()
    assert read_line(line(cs_uri_stem=stem, sc_content_type=content_type), ORDER, counts) is None
    assert counts == LineCounts(lines=1, kept=0, not_media=1, unreadable=0)


def test_a_cors_preflight_is_not_a_media_request():
    counts = LineCounts()
    assert read_line(line(cs_method="OPTIONS", sc_content_type="-", sc_status="204"), ORDER, counts) is None
    assert counts.not_media == 1


def test_every_line_is_counted_once():
    counts = LineCounts()
    read_line(line(), ORDER, counts)
    read_line(line(cs_uri_stem="/robots.txt", sc_content_type="text/plain"), ORDER, counts)
    with pytest.raises(FieldCountError):
        read_line(b"1733100000.123\t198.51.100.7", ORDER, counts)
    with pytest.raises(FieldValueError):
        read_line(line(x_edge_request_id="-"), ORDER, counts)
    assert counts == LineCounts(lines=4, kept=1, not_media=1, unreadable=2)


def test_cmcd_from_the_fields():
    got = event(
        cmcd_encoded_bitrate="3200",
        cmcd_buffer_length="21300",
        cmcd_buffer_starvation="true",
        cmcd_content_id="big-buck-bunny",
        cmcd_object_duration="4004",
        cmcd_measured_throughput="25400",
        cmcd_next_object_request="..%2F720p%2Fseg_00043.m4s",
        cmcd_object_type="v",
        cmcd_playback_rate="1",
        cmcd_streaming_format="h",
        cmcd_session_id=SID,
        cmcd_stream_type="v",
        cmcd_top_bitrate="6000",
        cmcd_version="1",
    )
    payload = got["payload"]
    assert payload["cmcd_source"] == "fields"
    assert payload["cmcd_br"] == 3200 and payload["cmcd_bl"] == 21300 and payload["cmcd_mtp"] == 25400
    assert payload["cmcd_bs"] is True and payload["cmcd_ot"] == "v" and payload["cmcd_sf"] == "h"
    assert payload["cmcd_nor"] == "../720p/seg_00043.m4s" and payload["cmcd_pr"] == 1.0
    assert payload["cmcd_tb"] == 6000 and payload["cmcd_d"] == 4004 and payload["cmcd_v"] == 1
    assert got["session_id"] == SID and payload["cmcd_session_inferred"] is False
    assert got["content"]["id"] == "big-buck-bunny"


def test_a_cmcd_field_value_cannot_write_other_keys():
    # GIVEN a client whose bitrate value carries a second member: it must not become the session
    got = event(cmcd_encoded_bitrate='3200,sid="someone-else"', cmcd_session_id=SID, cmcd_buffer_length="900")
    payload = got["payload"]
    assert got["session_id"] == SID and payload["cmcd_bl"] == 900
    assert payload.get("cmcd_br") is None
    assert "br: not a CMCD value (it holds more than one member)" in payload["cmcd_invalid_keys"]


def test_cmcd_from_the_query_when_the_fields_are_empty():
    got = event(cs_uri_query="CMCD=bl%3D21300%2Cbr%3D3200%2Cbs%2Ccid%3D%22bbb%22%2Cot%3Dv%2Csid%3D%22" + SID + "%22")
    payload = got["payload"]
    assert payload["cmcd_source"] == "query"
    assert (payload["cmcd_bl"], payload["cmcd_br"], payload["cmcd_bs"]) == (21300, 3200, True)
    assert got["session_id"] == SID and got["content"]["id"] == "bbb"


def test_cmcd_from_the_headers_when_neither_fields_nor_query_carry_it():
    headers = (
        "Host:video.example.com%0ACMCD-Request:bl%3D21300,mtp%3D25400%0A"
        "CMCD-Object:br%3D3200,ot%3Dv%0ACMCD-Session:sid%3D%22" + SID + "%22,v%3D2%0ACMCD-Status:bs%0A"
    )
    got = event(cs_headers=headers)
    payload = got["payload"]
    assert payload["cmcd_source"] == "headers"
    assert (payload["cmcd_bl"], payload["cmcd_mtp"], payload["cmcd_br"], payload["cmcd_bs"]) == (
        21300,
        25400,
        3200,
        True,
    )
    assert got["session_id"] == SID


def test_the_fields_win_over_the_query():
    got = event(cmcd_encoded_bitrate="3200", cs_uri_query="CMCD=br%3D800")
    assert got["payload"]["cmcd_source"] == "fields" and got["payload"]["cmcd_br"] == 3200


def test_a_bad_cmcd_value_drops_that_key_not_the_line():
    got = event(cmcd_encoded_bitrate="high", cmcd_buffer_length="21300", cmcd_object_type="video")
    payload = got["payload"]
    assert payload["cmcd_bl"] == 21300
    assert "cmcd_br" not in payload and "cmcd_ot" not in payload
    assert payload["cmcd_invalid_keys"].startswith("br: ")
    assert "ot: expected one of" in payload["cmcd_invalid_keys"]


def test_an_unreadable_cmcd_query_drops_the_cmcd_not_the_line():
    got = event(cs_uri_query="CMCD=%3D%3D%3D")
    assert got["payload"]["cmcd_source"] == "query"
    assert got["payload"]["cmcd_invalid_keys"].startswith("CMCD: not CMCD")
    assert got["payload"]["cdn_status"] == 200


def test_without_sid_the_session_is_inferred_from_network_user_agent_content_and_day():
    got = event(cmcd_content_id="bbb")
    user_agent = got["ingest"]["user_agent"]
    assert got["session_id"] == inferred_session_id("198.51.100.0/24", user_agent, "bbb", utc_day(1733100000123))
    assert got["payload"]["cmcd_session_inferred"] is True
    # Another address of the same /24, the same browser and title: the same viewer's session.
    assert event(c_ip="198.51.100.200", cmcd_content_id="bbb")["session_id"] == got["session_id"]
    assert event(c_ip="203.0.113.7", cmcd_content_id="bbb")["session_id"] != got["session_id"]


def test_a_titles_manifest_and_its_renditions_are_one_content_and_one_session():
    events = [
        event(cs_uri_stem=stem)
        for stem in (
            "/vod/big-buck-bunny/master.m3u8",
            "/vod/big-buck-bunny/720p/index.m3u8",
            "/vod/big-buck-bunny/720p/seg_00042.m4s",
            "/vod/big-buck-bunny/1080p/seg_00043.m4s",
            "/vod/big-buck-bunny/audio_en/seg_00042.m4s",
            "/vod/big-buck-bunny/video_1/seg_00044.m4s",
            "/vod/big-buck-bunny/1920x1080/seg_00045.m4s",
        )
    ]
    assert {e["content"]["id"] for e in events} == {"/vod/big-buck-bunny"}
    assert len({e["session_id"] for e in events}) == 1
    assert event(cs_uri_stem="/seg_1.ts")["content"]["id"] == "unknown"


def test_a_native_player_is_named_from_its_user_agent():
    exo = event(cs_user_agent="ExoPlayerDemo/2.19.1%20(Linux;%20Android%2014)%20ExoPlayerLib/2.19.1")
    assert exo["player"] == {"name": "exoplayer", "version": "2.19.1"}
    avplayer = event(cs_user_agent="AppleCoreMedia/1.0.0.21G93%20(iPhone;%20U;%20CPU%20OS%2017_6)")
    assert avplayer["player"]["name"] == "avplayer"
    assert event()["player"] == {"name": "cdn", "version": "v1"}


def test_a_viewer_who_left_before_the_response_is_status_zero():
    got = event(
        sc_status="000", sc_bytes="0", x_edge_result_type="Error", x_edge_detailed_result_type="ClientCommError"
    )
    assert got["payload"]["cdn_status"] == 0
    assert got["payload"]["cdn_detailed_result_type"] == "ClientCommError"


def test_a_miss_carries_the_origin_latency():
    got = event(x_edge_result_type="Miss", origin_fbl="0.018", origin_lbl="0.031")
    assert (got["payload"]["cdn_origin_first_byte_ms"], got["payload"]["cdn_origin_last_byte_ms"]) == (18.0, 31.0)


def test_viewer_text_is_clipped_to_its_bound_not_refused():
    got = event(cs_uri_stem="/vod/" + "a" * 5000 + "/seg.ts", cs_user_agent="Mozilla%00" + "x" * 3000)
    assert len(got["payload"]["cdn_path"].encode()) <= 1024
    assert "\x00" not in got["ingest"]["user_agent"]
    assert len(got["content"]["id"].encode()) <= 512
