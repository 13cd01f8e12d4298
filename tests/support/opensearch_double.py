"""A faithful double of the OpenSearch APIs Sluice uses, served over real HTTP.

It answers like OpenSearch 2.x: ``_bulk`` returns HTTP 200 with ``errors: true`` and a status and
error per item; documents are checked against their index's mapping, which is the matching
template's as it was when the index was created, as OpenSearch keeps it (``dynamic: strict``
rejects unknown fields, a value of the wrong type is a ``mapper_parsing_exception``); ``PUT
/<pattern>/_mapping`` adds fields to existing indices and refuses a type change; a body over
``max_body_bytes`` is a 413; scripted faults give 429 / 503 per item, 503 per request, or slow
answers. Every request body is checked to be valid bulk NDJSON, and the problems kept for tests.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

ItemFault = Callable[[str, str, dict[str, Any]], int | None]  # (index, id, source) -> status or None


# OpenSearch refuses a document _id over 512 bytes of UTF-8 (IndexRequest validation).
MAX_ID_BYTES = 512


@dataclass
class BulkDouble:
    max_body_bytes: int = 10 * 1024 * 1024
    require_basic: tuple[str, str] | None = None
    # (access key, secret key, region, service): every request's SigV4 signature is verified
    require_sigv4: tuple[str, str, str, str] | None = None
    indices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    # each index's own mapping, taken from the matching template when the index was created (None:
    # no template matched, nothing is checked); a later template change does not reach it
    mappings: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # the security plugin: roles and role mappings by name, and every write made to them
    security: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"roles": {}, "rolesmapping": {}})
    security_writes: int = 0
    bulk_bodies: list[bytes] = field(default_factory=list)
    ndjson_problems: list[str] = field(default_factory=list)
    item_faults: list[ItemFault] = field(default_factory=list)
    request_faults: list[int] = field(default_factory=list)  # statuses for the next bulk requests
    delay_s: float = 0.0
    delays_left: int = 0
    url: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)
    sockets: list[socket.socket] = field(default_factory=list)  # every connection a client opened

    # --- what tests look at ---------------------------------------------------------------
    def documents(self, pattern: str = "*") -> dict[str, dict[str, Any]]:
        with self.lock:
            return {
                doc_id: source
                for name, docs in self.indices.items()
                if fnmatch.fnmatch(name, pattern)
                for doc_id, source in docs.items()
            }

    def count(self, pattern: str = "*") -> int:
        return len(self.documents(pattern))

    def fail_next_requests(self, *statuses: int) -> None:
        with self.lock:
            self.request_faults.extend(statuses)

    def close_idle_connections(self) -> None:
        """As a cluster (or a load balancer) does with keep-alive connections left idle too long."""
        with self.lock:
            for sock in self.sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def slow_next(self, requests: int, seconds: float) -> None:
        with self.lock:
            self.delays_left, self.delay_s = requests, seconds

    # --- mappings -----------------------------------------------------------------------------
    def create_index(self, index: str, mappings: dict[str, Any] | None = None) -> None:
        """An index as OpenSearch creates it, on its first write or by ``PUT /<index>``: the
        matching template's mappings of this moment, with the request's own laid over them."""
        with self.lock:
            if index in self.mappings:
                return
            mapping: dict[str, Any] | None = None
            for template in sorted(self.templates.values(), key=lambda t: -t.get("priority", 0)):
                if any(fnmatch.fnmatch(index, p) for p in template["index_patterns"]):
                    mapping = copy.deepcopy(template.get("template", {}).get("mappings", {}))
                    break
            if mappings is not None:
                given = copy.deepcopy(mappings)
                properties = {**(mapping or {}).get("properties", {}), **given.pop("properties", {})}
                mapping = {**(mapping or {}), **given, "properties": properties}
            self.mappings[index] = mapping
            self.indices.setdefault(index, {})

    def put_mapping(self, pattern: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """As OpenSearch: fields are added to every matching index; a field's type cannot change,
        and then no index is changed; a pattern matching no index is a 404."""
        with self.lock:
            names = [name for name in self.mappings if fnmatch.fnmatch(name, pattern)]
            if not names:
                return 404, _error("index_not_found_exception", f"no such index [{pattern}]", 404)
            for name in names:
                known = (self.mappings[name] or {}).get("properties", {})
                for field_name, wanted in body.get("properties", {}).items():
                    had = known.get(field_name, wanted).get("type", "object")
                    if had != wanted.get("type", "object"):
                        return 400, _error(
                            "illegal_argument_exception",
                            f"mapper [{field_name}] cannot be changed from type [{had}] to [{wanted.get('type')}]",
                        )
            for name in names:
                mapping = self.mappings[name] if self.mappings[name] is not None else {}
                mapping.setdefault("properties", {}).update(copy.deepcopy(body.get("properties", {})))
                if "_meta" in body:
                    mapping["_meta"] = body["_meta"]
                self.mappings[name] = mapping
            return 200, {"acknowledged": True}

    def get_mapping(self, pattern: str) -> dict[str, Any]:
        with self.lock:
            return {
                name: {"mappings": copy.deepcopy(mapping or {})}
                for name, mapping in self.mappings.items()
                if fnmatch.fnmatch(name, pattern)
            }

    def _mapping_error(self, index: str, source: dict[str, Any]) -> dict[str, Any] | None:
        self.create_index(index)
        mapping = self.mappings[index]
        if mapping is None:
            return None
        properties = mapping.get("properties", {})
        for name, value in source.items():
            if name not in properties:
                if mapping.get("dynamic") == "strict":
                    return {
                        "type": "strict_dynamic_mapping_exception",
                        "reason": f"mapping set to strict, dynamic introduction of [{name}] within [_doc] is not allowed",
                    }
                continue
            kind = properties[name]["type"]
            if not _fits(kind, value):
                return {
                    "type": "mapper_parsing_exception",
                    "reason": f"failed to parse field [{name}] of type [{kind}] in document. Preview of field's value: '{value}'",
                }
        return None

    # --- bulk ---------------------------------------------------------------------------------
    def bulk(self, body: bytes, default_index: str | None) -> tuple[int, dict[str, Any]]:
        started = time.monotonic()
        lines = body.split(b"\n")
        if lines and lines[-1] == b"":
            lines = lines[:-1]
        else:
            self.ndjson_problems.append("bulk body does not end with a newline")
            return 400, _error("illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        items = []
        errors = False
        position = 0
        while position < len(lines):
            try:
                action = json.loads(lines[position])
                ((op, meta),) = action.items()
            except (ValueError, json.JSONDecodeError):
                self.ndjson_problems.append(f"line {position + 1} is not an action object")
                return 400, _error("illegal_argument_exception", f"Malformed action/metadata line [{position + 1}]")
            if op not in ("index", "create", "update", "delete"):
                self.ndjson_problems.append(f"line {position + 1}: unknown action {op}")
                return 400, _error(
                    "illegal_argument_exception",
                    f"Malformed action/metadata line [{position + 1}], expected one of [create, delete, index, update] but found [{op}]",
                )
            index = meta.get("_index") or default_index
            doc_id = meta.get("_id")
            if doc_id is not None and len(str(doc_id).encode()) > MAX_ID_BYTES:
                # As OpenSearch: the request's validation fails, and with it the whole bulk.
                size = len(str(doc_id).encode())
                return 400, _error(
                    "action_request_validation_exception",
                    f"Validation Failed: 1: id [{doc_id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {size};",
                )
            source: dict[str, Any] = {}
            if op != "delete":
                position += 1
                if position >= len(lines):
                    self.ndjson_problems.append("action without its document line")
                    return 400, _error(
                        "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"
                    )
                try:
                    source = json.loads(lines[position])
                except json.JSONDecodeError:
                    self.ndjson_problems.append(f"line {position + 1} is not JSON")
                    source = None  # type: ignore[assignment]
            position += 1
            result = self._item(op, index, doc_id, source)
            errors = errors or "error" in result
            items.append({op: result})
        return 200, {"took": int((time.monotonic() - started) * 1000) + 1, "errors": errors, "items": items}

    def _item(self, op: str, index: str | None, doc_id: str | None, source: dict[str, Any] | None) -> dict[str, Any]:
        base = {"_index": index, "_id": doc_id}
        if source is None:
            return {**base, "status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse"}}
        for fault in self.item_faults:
            status = fault(index or "", doc_id or "", source)
            if status is not None:
                kind = {
                    429: "es_rejected_execution_exception",
                    503: "unavailable_shards_exception",
                    400: "mapper_parsing_exception",
                }.get(status, "exception")
                return {**base, "status": status, "error": {"type": kind, "reason": f"injected {status}"}}
        problem = self._mapping_error(index or "", source)
        if problem is not None:
            return {**base, "status": 400, "error": problem}
        with self.lock:
            docs = self.indices.setdefault(index or "", {})
            exists = doc_id in docs
            if op == "create" and exists:
                return {
                    **base,
                    "status": 409,
                    "error": {
                        "type": "version_conflict_engine_exception",
                        "reason": f"[{doc_id}]: version conflict, document already exists",
                    },
                }
            docs[doc_id or str(len(docs))] = source
        return {
            **base,
            "_version": 2 if exists else 1,
            "result": "updated" if exists else "created",
            "status": 200 if exists else 201,
            "_shards": {"total": 2, "successful": 1, "failed": 0},
        }


def _fits(kind: str, value: Any) -> bool:
    if kind in ("keyword", "text"):
        return isinstance(value, str | int | float | bool)
    if kind in ("long", "integer"):
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "date":
        return isinstance(value, int) or (isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value) is not None)
    return True


def _error(kind: str, reason: str, status: int = 400) -> dict[str, Any]:
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }


def _handler(double: BulkDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with double.lock:
                double.sockets.append(self.connection)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, payload: dict[str, Any] | None) -> None:
            body = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _authorised(self, raw: bytes) -> bool:
            header = self.headers.get("Authorization", "")
            if double.require_basic is not None:
                expected = "Basic " + base64.b64encode(":".join(double.require_basic).encode()).decode()
                return header == expected
            if double.require_sigv4 is not None:
                return _sigv4_valid(self.command, self.path, dict(self.headers.items()), raw, double.require_sigv4)
            return True

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            self._raw = data  # as sent (signed), before any decompression
            if self.headers.get("Content-Encoding") == "gzip":
                import gzip

                data = gzip.decompress(data)
            return data

        def _route(self) -> None:
            url = urlparse(self.path)
            parts = [p for p in url.path.split("/") if p]
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            raw = self._body()
            if not self._authorised(self._raw):
                return self._reply(
                    401, _error("security_exception", "missing or wrong authentication credentials", 401)
                )
            with double.lock:
                delay = double.delay_s if double.delays_left > 0 else 0.0
                double.delays_left = max(0, double.delays_left - 1)
            if delay:
                time.sleep(delay)
            if parts and parts[-1] == "_bulk" and self.command in ("POST", "PUT"):
                double.bulk_bodies.append(raw)
                if len(raw) > double.max_body_bytes:
                    return self._reply(413, None)
                with double.lock:
                    fault = double.request_faults.pop(0) if double.request_faults else None
                if fault is not None:
                    return self._reply(fault, _error("unavailable", f"injected {fault}", fault))
                status, payload = double.bulk(raw, parts[0] if len(parts) == 2 else None)
                return self._reply(status, payload)
            if len(parts) == 2 and parts[1] == "_mapping" and self.command in ("GET", "PUT"):
                if self.command == "GET":
                    return self._reply(200, double.get_mapping(parts[0]))
                return self._reply(*double.put_mapping(parts[0], json.loads(raw)))
            if len(parts) == 1 and not parts[0].startswith("_") and self.command == "PUT":
                if parts[0] in double.mappings:
                    return self._reply(
                        400, _error("resource_already_exists_exception", f"index [{parts[0]}] already exists")
                    )
                double.create_index(parts[0], (json.loads(raw) if raw else {}).get("mappings"))
                return self._reply(200, {"acknowledged": True, "shards_acknowledged": True, "index": parts[0]})
            if parts[:1] == ["_index_template"] and len(parts) == 2:
                return self._template(parts[1], raw)
            if parts[:3] == ["_plugins", "_security", "api"] and len(parts) == 5 and parts[3] in double.security:
                return self._security(parts[3], parts[4], raw)
            if parts[:3] == ["_plugins", "_ism", "policies"] and len(parts) == 4:
                return self._policy(parts[3], raw, params)
            if len(parts) == 3 and parts[1] == "_doc" and self.command == "GET":
                source = double.indices.get(parts[0], {}).get(parts[2])
                if source is None:
                    return self._reply(404, {"_index": parts[0], "_id": parts[2], "found": False})
                return self._reply(200, {"_index": parts[0], "_id": parts[2], "found": True, "_source": source})
            if parts and parts[-1] == "_count":
                pattern = parts[0] if len(parts) == 2 else "*"
                return self._reply(200, {"count": double.count(pattern)})
            if parts and parts[-1] == "_search":
                pattern = parts[0] if len(parts) == 2 else "*"
                hits = [{"_index": "", "_id": k, "_source": v} for k, v in double.documents(pattern).items()]
                return self._reply(200, {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}})
            if not parts:
                return self._reply(
                    200,
                    {
                        "name": "bulk-double",
                        "cluster_name": "sluice-test",
                        "version": {"distribution": "opensearch", "number": "2.17.0"},
                        "tagline": "The OpenSearch Project: https://opensearch.org/",
                    },
                )
            return self._reply(404, _error("index_not_found_exception", f"no such index [{parts[0]}]", 404))

        def _security(self, kind: str, name: str, raw: bytes) -> None:
            # As the security plugin's REST API answers: GET {name: {...}} or 404; PUT replaces.
            store = double.security[kind]
            if self.command == "PUT":
                created = name not in store
                store[name] = json.loads(raw)
                double.security_writes += 1
                status = "CREATED" if created else "OK"
                return self._reply(
                    201 if created else 200, {"status": status, "message": f"'{name}' {status.lower()}."}
                )
            if name not in store:
                return self._reply(404, {"status": "NOT_FOUND", "message": f"Resource '{name}' not found."})
            return self._reply(200, {name: {**store[name], "reserved": False, "hidden": False, "static": False}})

        def _template(self, name: str, raw: bytes) -> None:
            if self.command == "PUT":
                double.templates[name] = json.loads(raw)
                return self._reply(200, {"acknowledged": True})
            if name not in double.templates:
                return self._reply(
                    404, _error("resource_not_found_exception", f"index template matching [{name}] not found", 404)
                )
            return self._reply(200, {"index_templates": [{"name": name, "index_template": double.templates[name]}]})

        def _policy(self, policy_id: str, raw: bytes, params: dict[str, str]) -> None:
            current = double.policies.get(policy_id)
            if self.command == "GET":
                if current is None:
                    return self._reply(404, _error("status_exception", "Policy not found", 404))
                return self._reply(
                    200,
                    {
                        "_id": policy_id,
                        "_version": current["version"],
                        "_seq_no": current["seq_no"],
                        "_primary_term": 1,
                        "policy": current["policy"],
                    },
                )
            if current is not None and params.get("if_seq_no") != str(current["seq_no"]):
                return self._reply(
                    409,
                    _error(
                        "version_conflict_engine_exception",
                        f"[{policy_id}]: version conflict, document already exists",
                        409,
                    ),
                )
            version = (current or {"version": 0})["version"] + 1
            seq_no = (current or {"seq_no": -1})["seq_no"] + 1
            double.policies[policy_id] = {"policy": json.loads(raw)["policy"], "version": version, "seq_no": seq_no}
            return self._reply(
                201 if current is None else 200,
                {"_id": policy_id, "_version": version, "_seq_no": seq_no, "_primary_term": 1},
            )

        do_GET = _route
        do_POST = _route
        do_PUT = _route
        do_HEAD = _route
        do_DELETE = _route

    return Handler


def _sigv4_valid(
    method: str, target: str, headers: dict[str, str], body: bytes, key: tuple[str, str, str, str]
) -> bool:
    """AWS Signature Version 4 checked as the service does, from the spec (not botocore): the
    canonical request from what arrived, the payload hash over the bytes as sent."""
    access_key, secret, region, service = key
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        lowered.get("authorization", ""),
    )
    if match is None or match.group(1, 3, 4) != (access_key, region, service):
        return False
    day, signed, signature = match.group(2), match.group(5).split(";"), match.group(6)
    stamp = lowered.get("x-amz-date", "")
    payload_hash = hashlib.sha256(body).hexdigest()
    if not stamp.startswith(day) or lowered.get("x-amz-content-sha256", payload_hash) != payload_hash:
        return False
    if "host" not in signed or any(name not in lowered for name in signed):
        return False
    url = urlparse(target)
    query = "&".join(sorted(f"{k}={v}" for k, v in (pair.split("=", 1) for pair in url.query.split("&") if pair)))
    canonical = "\n".join(
        [
            method,
            # The path as sent, URI-encoded once more (every service but S3): `*` of an index
            # pattern is %2A here, as botocore signs it and the service checks it.
            quote(url.path or "/", safe="/~"),
            query,
            *(f"{name}:{lowered[name]}" for name in signed),
            "",
            ";".join(signed),
            payload_hash,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signing_key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest(), signature)


@contextmanager
def bulk_double(*, tls_dir: str | None = None, **settings: Any) -> Iterator[BulkDouble]:
    """The double on 127.0.0.1; with ``tls_dir``, over HTTPS with a certificate for "localhost"
    whose CA file is ``<tls_dir>/ca.pem``."""
    double = BulkDouble(**settings)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    scheme = "http"
    if tls_dir is not None:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self_signed_certificate(tls_dir))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    host = "localhost" if tls_dir is not None else "127.0.0.1"
    double.url = f"{scheme}://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()


def self_signed_certificate(directory: str) -> tuple[str, str]:
    """A certificate for localhost signed by itself (its own CA): (cert file, key file)."""
    import datetime
    import os

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = os.path.join(directory, "ca.pem"), os.path.join(directory, "key.pem")
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_file, key_file
