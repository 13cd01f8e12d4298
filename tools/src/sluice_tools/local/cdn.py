"""The local CDN stand-in: CloudFront's part in front of a test stream, for real players on this
machine. Each edge location is an HTTP server of its own serving an ffmpeg-made HLS and DASH
ladder (``sluice_tools.local.media``), with CORS so that a player page on another origin can fetch and
send CMCD headers; every request it answers becomes one real-time log line, in the configured
field order (``sluice.cdn.config.local_fields``), on the local CDN log stream
(``sluice_tools.local.cdn_log``), as CloudFront's real-time logs would carry it.

An edge is chosen by its port, not by a path prefix: a CloudFront viewer reaches an edge by DNS,
and the URL it requests is the same at every edge. With a port per edge the request path (the
log's ``cs-uri-stem``, from which the reader derives the content) and a manifest's relative
segment URLs are what they are behind CloudFront, and a player that loaded a manifest from one
edge stays on it, as a viewer does.

Faults are set per edge location (``EdgeFault``): an HTTP status for every request (a 5xx edge),
or a delay before the first byte (a slow edge), so that "one edge location failing" and "one
edge slow to first byte" can be played by real players and read back from the log.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import posixpath
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sluice.cdn.config import local_fields
from sluice.cdn.fields import BY_NAME
from sluice.cdn.logline import Value, format_line
from sluice.cmcd.keys import HEADERS
from sluice.cmcd.report import CmcdError, CmcdReport, parse_headers, parse_query
from sluice.runtime.errors import SluiceError
from sluice_tools.local import media
from sluice_tools.local.cdn_log import LogShipper

__all__ = [
    "CACHE_BEHAVIORS",
    "CHUNK_BYTES",
    "CONTENT_TYPES",
    "DISTRIBUTION_DOMAIN",
    "EDGE_LOCATIONS",
    "EXPOSED_HEADERS",
    "ORIGIN_FIRST_BYTE_S",
    "PREFLIGHT_MAX_AGE_S",
    "STREAMS",
    "CdnFaultError",
    "CdnStandIn",
    "Edge",
    "EdgeFault",
    "cache_behavior",
    "cmcd_field_values",
    "content_root",
    "parse_faults",
    "request_id",
]

log = logging.getLogger("sluice_tools.local.cdn")

# Three edge locations, named as CloudFront names them (IATA code, number, a suffix).
EDGE_LOCATIONS = ("AMS1-C1", "FRA56-P2", "IAD89-C3")
# The distribution's domain (cs-host); the viewer's Host header is logged as x-host-header.
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
# A cache miss goes to the origin: this long to its first byte (an S3 origin in the same region
# answers in tens of ms), so that origin-fbl and a miss's time to first byte read as they would.
ORIGIN_FIRST_BYTE_S = 0.015
# Cache behaviours by path pattern, first match wins, "*" the default (the log's origin).
CACHE_BEHAVIORS = (("/hls/*", "/hls/"), ("/dash/*", "/dash/"), ("*", "/"))
# The test streams, under the content root and so under every edge.
STREAMS = {"hls": "hls/master.m3u8", "dash": "dash/manifest.mpd"}
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}
# What a browser may read of a cross-origin response (players read the range and the cache result).
EXPOSED_HEADERS = "Content-Length, Content-Range, X-Cache, X-Amz-Cf-Pop, X-Amz-Cf-Id"
PREFLIGHT_MAX_AGE_S = 86_400
CHUNK_BYTES = 64 * 1024


class CdnFaultError(SluiceError, ValueError):
    """A ``--cdn-fault`` that cannot be read."""


@dataclass(frozen=True)
class EdgeFault:
    """What one edge location does to every GET and HEAD (a preflight is answered as usual, so a
    browser sees the status, not a CORS failure)."""

    status: int | None = None  # answer this status (a 5xx edge) instead of the object
    first_byte_delay_s: float = 0.0  # hold the first byte this long (a slow edge)

    def describe(self) -> str:
        parts = [str(self.status)] if self.status else []
        if self.first_byte_delay_s:
            parts.append(f"slow:{round(self.first_byte_delay_s * 1000)}")
        return ",".join(parts) or "none"


def parse_faults(specs: Sequence[str], edges: Sequence[str] = EDGE_LOCATIONS) -> dict[str, EdgeFault]:
    """``EDGE=STATUS`` (400-599), ``EDGE=slow:MS`` or both (``EDGE=503,slow:200``), per edge;
    several for one edge combine."""
    faults: dict[str, EdgeFault] = {}
    for spec in specs:
        edge, sep, what = spec.partition("=")
        if not sep or not what:
            raise CdnFaultError(f"{spec!r}: expected EDGE=STATUS or EDGE=slow:MS (AMS1-C1=503, FRA56-P2=slow:1500)")
        if edge not in edges:
            raise CdnFaultError(f"{spec!r}: no edge location {edge!r} (the stand-in's are {', '.join(edges)})")
        fault = faults.get(edge, EdgeFault())
        for part in what.split(","):
            if part.startswith("slow:"):
                ms = part.removeprefix("slow:")
                if not ms.isdigit() or not 0 < int(ms) <= 60_000:
                    raise CdnFaultError(f"{spec!r}: slow:MS takes 1 to 60000 milliseconds, got {ms!r}")
                fault = EdgeFault(fault.status, int(ms) / 1000)
            elif part.isdigit() and 400 <= int(part) <= 599:
                fault = EdgeFault(int(part), fault.first_byte_delay_s)
            else:
                raise CdnFaultError(f"{spec!r}: {part!r} is neither an error status (400-599) nor slow:MS")
        faults[edge] = fault
    return faults


def content_root() -> Path:
    """The test streams, made once per machine and kept: ffmpeg takes about 10 s on two cores, and
    every local pipeline would pay it. Keyed on the media recipe, so a changed ladder is made anew."""
    recipe = repr((media.RENDITIONS, media.SECONDS, media.HELD_TARGET_S, Path(media.__file__).read_bytes()))
    key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"sluice-cdn-content-{os.getuid()}-{key}"
    if all((root / path).exists() for path in STREAMS.values()):
        return root
    scratch = Path(tempfile.mkdtemp(prefix="sluice-cdn-content-", dir=root.parent))
    try:
        media.make_stream(scratch / "hls")
        media.make_dash(scratch)
        try:
            scratch.rename(root)
        except OSError:  # another pipeline made it meanwhile
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return root


def request_id() -> str:
    """A CloudFront-like request id: 56 characters of URL-safe base64, unique per request."""
    return base64.urlsafe_b64encode(os.urandom(40)).decode("ascii")


def cache_behavior(path: str) -> str:
    for pattern, prefix in CACHE_BEHAVIORS:
        if pattern == "*" or path.startswith(prefix):
            return pattern
    return "*"


def cmcd_field_values(query: str, headers: Mapping[str, str]) -> dict[str, Value]:
    """The ``cmcd-*`` fields as CloudFront fills them: each CMCD key the request carries (in its
    ``CMCD=`` query argument or its ``CMCD-*`` headers) as its value alone, strings unquoted."""
    try:
        report = parse_query(query) if "CMCD=" in query else parse_headers(headers)
    except CmcdError:
        return {}  # CloudFront fills no field of a CMCD text it cannot read; the raw text is logged
    return {name: _cmcd_value(report, f.cmcd_key) for name, f in BY_NAME.items() if f.cmcd_key}


def _cmcd_value(report: CmcdReport, key: str) -> Value:
    value = report.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _CountingWriter:
    """The response stream, counting the bytes written (sc-bytes: headers included) and when the
    first one went (time-to-first-byte)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.bytes = 0
        self.first_at: float | None = None

    def write(self, data: bytes) -> int:
        if self.first_at is None and data:
            self.first_at = time.time()
        written: int = self.raw.write(data)
        self.bytes += len(data)
        return written

    def flush(self) -> None:
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


@dataclass
class Edge:
    """One edge location: its server, its cache (which paths it has fetched from the origin) and
    its fault."""

    location: str
    fault: EdgeFault
    server: ThreadingHTTPServer | None = None
    cached: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


class CdnStandIn:
    """The edges in front of ``root`` (None: no content, nothing served, ``off`` says why)."""

    def __init__(
        self,
        root: Path | None,
        shipper: LogShipper,
        *,
        faults: Mapping[str, EdgeFault] | None = None,
        edges: Sequence[str] = EDGE_LOCATIONS,
        off: str | None = None,
        order: Sequence[str] | None = None,
    ) -> None:
        self.root = root
        self.shipper = shipper
        self.off = off if root is None else None
        self.order = list(order or local_fields())
        self.edges = {location: Edge(location, (faults or {}).get(location, EdgeFault())) for location in edges}
        self._threads: list[threading.Thread] = []

    def start(self) -> CdnStandIn:
        self.shipper.start()
        if self.root is None:
            return self
        for edge in self.edges.values():
            edge.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(edge))
            edge.server.daemon_threads = True
            thread = threading.Thread(target=edge.server.serve_forever, name=f"sluice-cdn-{edge.location}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for edge in self.edges.values():
            if edge.server is not None:
                edge.server.shutdown()
                edge.server.server_close()
        self.shipper.stop()

    def describe(self) -> dict[str, Any]:
        """What `sluice local status` shows: the edges' URLs and faults, the streams, the log stream."""
        serving = self.root is not None
        return {
            "serving": serving,
            "off": self.off,
            "log_stream": self.shipper.stream_name,
            "fields": len(self.order),
            "edges": {
                location: {"url": edge.url if serving else None, "fault": edge.fault.describe()}
                for location, edge in self.edges.items()
            },
            "streams": {
                location: {kind: f"{edge.url}/{path}" for kind, path in STREAMS.items()} if serving else {}
                for location, edge in self.edges.items()
            },
        }

    def stream_url(self, kind: str, edge: str | None = None) -> str:
        location = edge or next(iter(self.edges))
        return f"{self.edges[location].url}/{STREAMS[kind]}"

    def _handler(self, edge: Edge) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(_EdgeHandler):
            pass

        Handler.edge = edge
        Handler.stand_in = stand_in
        return Handler

    def record(self, values: dict[str, Value]) -> None:
        self.shipper.add(format_line(values, self.order), str(values["x-edge-request-id"]))


class _EdgeHandler(BaseHTTPRequestHandler):
    """One viewer request at one edge: answered from the content root, then logged."""

    edge: Edge
    stand_in: CdnStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, as a CDN serves players
    server_version = "CloudFront"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.counter = _CountingWriter(self.wfile)
        self.wfile = self.counter  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:
        return  # the real-time log line is the record of the request

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_OPTIONS(self) -> None:
        self._begin()
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        # A player's CMCD headers and Range are not CORS-safelisted: allow what the page asks for.
        requested = self.headers.get("Access-Control-Request-Headers")
        self.send_header("Access-Control-Allow-Headers", requested or ", ".join(("Range", *HEADERS)))
        self.send_header("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE_S))
        self.send_header("Content-Length", "0")
        self._cdn_headers("Miss")
        self.end_headers()
        self._log(204, result="Miss", detailed="Miss", content_type=None, length=0)

    # -- answering -----------------------------------------------------------------------------
    def _begin(self) -> None:
        self.received_at = time.time()
        self.request_id = request_id()
        self.counter.first_at = None
        self.counter.bytes = 0
        self.origin_fbl: float | None = None
        self.range: tuple[int, int] | None = None
        split = urllib.parse.urlsplit(self.path)
        self.stem, self.query = split.path or "/", split.query

    def _answer(self, body: bool) -> None:
        self._begin()
        fault = self.edge.fault
        if fault.first_byte_delay_s:
            time.sleep(fault.first_byte_delay_s)
        if fault.status:
            return self._error(fault.status, "the edge location's fault")
        file = self._file()
        if file is None:
            return self._error(404, "no such object")
        with self.edge.lock:
            hit = self.stem in self.edge.cached
        if not hit:
            asked = time.time()
            time.sleep(ORIGIN_FIRST_BYTE_S)
            self.origin_fbl = time.time() - asked
        data = file.read_bytes()
        if not hit:
            with self.edge.lock:
                self.edge.cached.add(self.stem)
        status, data = self._ranged(data)
        if status == 416:
            return self._error(416, "range not satisfiable")
        result = "Hit" if hit else "Miss"
        content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "max-age=86400")
        if self.range is not None:
            self.send_header("Content-Range", f"bytes {self.range[0]}-{self.range[1]}/{file.stat().st_size}")
        self._cdn_headers(result)
        self.end_headers()
        detailed = result
        if body:
            try:
                for start in range(0, len(data), CHUNK_BYTES):
                    self.wfile.write(data[start : start + CHUNK_BYTES])
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # The viewer left mid-answer (a player aborting a request it no longer needs):
                # CloudFront's result for it.
                result, detailed = "Error", "ClientCommError"
        self._log(status, result=result, detailed=detailed, content_type=content_type, length=len(data))

    def _file(self) -> Path | None:
        root = self.stand_in.root
        assert root is not None
        relative = posixpath.normpath(urllib.parse.unquote(self.stem)).lstrip("/")
        if relative.startswith("..") or relative in ("", "."):
            return None
        file = (root / relative).resolve()
        if not file.is_relative_to(root.resolve()) or not file.is_file():
            return None
        return file

    def _ranged(self, data: bytes) -> tuple[int, bytes]:
        header = self.headers.get("Range")
        if not header or not header.startswith("bytes=") or "," in header:
            return 200, data
        first, _, last = header.removeprefix("bytes=").partition("-")
        try:
            if first:
                start, end = int(first), int(last) if last else len(data) - 1
            else:
                start, end = max(0, len(data) - int(last)), len(data) - 1
        except ValueError:
            return 200, data  # a Range header that is no range is ignored (RFC 9110 14.2)
        end = min(end, len(data) - 1)
        if start > end:
            return 416, b""
        self.range = (start, end)
        return 206, data[start : end + 1]

    def _error(self, status: int, why: str) -> None:
        body = f"{status} {why}\n".encode()
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self._cdn_headers("Error")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)
        self._log(status, result="Error", detailed="Error", content_type="text/plain", length=len(body))

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", EXPOSED_HEADERS)
        self.send_header("Timing-Allow-Origin", "*")  # players measure throughput with Resource Timing

    def _cdn_headers(self, result: str) -> None:
        self.send_header("X-Cache", f"{result} from cloudfront")
        self.send_header("Via", f"1.1 {self.request_id[:32].lower()}.cloudfront.net (CloudFront)")
        self.send_header("X-Amz-Cf-Pop", self.edge.location)
        self.send_header("X-Amz-Cf-Id", self.request_id)

    # -- the log line --------------------------------------------------------------------------
    def _log(self, status: int, *, result: str, detailed: str, content_type: str | None, length: int) -> None:
        finished = time.time()
        first = self.counter.first_at or finished
        headers = {name: value for name, value in self.headers.items()}
        client_ip, client_port = self.client_address[0], self.client_address[1]
        # The request line and headers as they came ("Name: value\r\n" each, then a blank line).
        request_line: bytes = getattr(self, "raw_requestline", b"")
        request_bytes = len(request_line) + sum(len(k) + len(v) + 4 for k, v in headers.items()) + 2
        values: dict[str, Value] = {
            "timestamp": int(finished * 1000),
            "c-ip": client_ip,
            "time-to-first-byte": round(max(0.0, first - self.received_at), 3),
            "sc-status": status,
            "sc-bytes": self.counter.bytes,
            "cs-method": self.command,
            "cs-protocol": "http",
            "cs-host": DISTRIBUTION_DOMAIN,
            "cs-uri-stem": self.stem,
            "cs-bytes": request_bytes,
            "x-edge-location": self.edge.location,
            "x-edge-request-id": self.request_id,
            "x-host-header": self.headers.get("Host"),
            "time-taken": round(max(0.0, finished - self.received_at), 3),
            "cs-protocol-version": self.request_version,
            "c-ip-version": "IPv6" if ":" in client_ip else "IPv4",
            "cs-user-agent": self.headers.get("User-Agent"),
            "cs-referer": self.headers.get("Referer"),
            # CloudFront logs the query as the player sent it; format_line takes it decoded.
            "cs-uri-query": urllib.parse.unquote(self.query) if self.query else None,
            "x-edge-response-result-type": result,
            "x-forwarded-for": self.headers.get("X-Forwarded-For"),
            "ssl-protocol": None,
            "x-edge-result-type": result,
            "sc-content-type": content_type,
            "sc-content-len": length,
            "sc-range-start": self.range[0] if self.range else None,
            "sc-range-end": self.range[1] if self.range else None,
            "c-port": client_port,
            "x-edge-detailed-result-type": detailed,
            "c-country": None,
            "cs-accept-encoding": self.headers.get("Accept-Encoding"),
            "cs-accept": self.headers.get("Accept"),
            "cache-behavior-path-pattern": cache_behavior(self.stem),
            "cs-headers": "\n".join(f"{k}:{v}" for k, v in headers.items()),
            "origin-fbl": round(self.origin_fbl, 3) if self.origin_fbl is not None else None,
            "origin-lbl": round(self.origin_fbl, 3) if self.origin_fbl is not None else None,
            "asn": None,
            **cmcd_field_values(self.query, {k.lower(): v for k, v in headers.items()}),
        }
        try:
            self.stand_in.record(values)
        except ValueError:
            log.exception("a CDN log line could not be written", extra={"request_id": self.request_id})
