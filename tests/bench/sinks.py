"""Sink throughput, each beside its baseline in the same run:

- loader: rows/s into PostgreSQL (embedded) with COPY + staging + MERGE, beside plain multi-row
  INSERT of the same rows (the way a naive loader writes);
- indexer: bulk-body bytes/s (action line + document, NDJSON, gzipped as the client sends it),
  beside raw orjson serialisation of the same documents (the floor for any JSON-based indexer).
"""

from __future__ import annotations

import gzip
import time
from typing import Any

import orjson
from sluice_tools.traffic.generator import TrafficConfig, generate
from sluice_tools.warehouse.migrate import migrate
from sqlalchemy import create_engine

from bench.timing import Result, best_rate
from sluice.artifacts.columns import compact_row, event_columns
from sluice.events.json_mapping import EventMapper
from sluice.indexer.service import daily_index
from sluice.loader.lines import parse_object
from sluice.loader.notifications import LakeObject
from sluice.loader.postgres import PostgresLoad
from sluice.processor.enrichment import enrich
from sluice.processor.lake import lake_line
from sluice.sinks.opensearch.bulk import Document, action_lines
from sluice.sinks.opensearch.http import GZIP_LEVEL
from sluice.warehouse.connection import Warehouse


def _records(sessions: int) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    mapper = EventMapper()
    records = []
    for generated in generate(TrafficConfig(sessions=sessions, seed=13, start_ms=now - 20 * 60_000)):
        record = mapper.to_record(orjson.loads(generated.body), server_time=now)
        record["ingest"] = {
            "request_id": "r",
            "user_agent": generated.session.device.user_agent,
            "country": generated.session.country,
            "client_ip_prefix": None,
        }
        enrich(record, now)
        records.append(record)
    return records


def _loader(records: list[dict[str, Any]]) -> Result:
    from support.services import postgres_server

    body = b"".join(lake_line(r)[1] for r in records)
    parsed = parse_object(body)
    names = [c.name for c in event_columns()]
    with postgres_server() as url:
        engine = create_engine(url)
        migrate(engine)
        load = PostgresLoad(Warehouse(url))
        counter = iter(range(1_000_000))

        def copy_merge() -> None:
            # A new object each round (the ledger would skip a repeat), on an emptied table.
            with engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE player_events")
            load.load(LakeObject("lake", f"events/{next(counter)}.json", "etag"), parsed, report=lambda bad: None)

        column_list = ", ".join(f'"{n}"' for n in names)

        def multi_row_insert() -> None:
            # Straight through the driver (no SQLAlchemy compilation): 500 rows per statement.
            with engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE player_events")
                cursor = connection.connection.driver_connection.cursor()
                row_placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
                for start in range(0, len(parsed.rows), 500):
                    chunk = parsed.rows[start : start + 500]
                    statement = f"INSERT INTO player_events ({column_list}) VALUES " + ", ".join(
                        [row_placeholder] * len(chunk)
                    )
                    cursor.execute(statement, [value for row in chunk for value in row])

        result = Result(
            "loader COPY + MERGE (PostgreSQL)",
            best_rate(copy_merge, len(parsed.rows), rounds=3),
            "multi-row INSERT",
            best_rate(multi_row_insert, len(parsed.rows), rounds=3),
            5.0,
            unit="rows/s",
            scale=1.0,
        )
        load.warehouse.close()
        engine.dispose()
    return result


def _indexer(records: list[dict[str, Any]]) -> Result:
    documents = []
    for record in records:
        row = compact_row(record)
        documents.append(Document(daily_index("sluice-events", row["client_time"]), row["event_id"], row))
    sizes = {"bulk": 0, "raw": 0}

    def bulk_body() -> None:
        # As sent: the NDJSON lines, gzipped at the client's level.
        body = b"".join(action_lines(d) for d in documents)
        gzip.compress(body, compresslevel=GZIP_LEVEL)
        sizes["bulk"] = len(body)

    def raw_orjson() -> None:
        # Appended as produced: holding orjson's freshly returned buffers in a list costs more
        # than serialising them (they are allocated generously), and a body is built this way.
        body = bytearray()
        for document in documents:
            body += orjson.dumps(document.source)
            body += b"\n"
        sizes["raw"] = len(body)

    bulk_body()
    raw_orjson()
    bulk_rate = best_rate(bulk_body, sizes["bulk"])
    raw_rate = best_rate(raw_orjson, sizes["raw"])
    return Result(
        "indexer bulk body, gzipped",
        bulk_rate,
        "raw orjson of the documents",
        raw_rate,
        unit="MB/s",
        scale=1e6,
        records_per_s=bulk_rate / (sizes["bulk"] / len(documents)),
    )


def run(sessions: int = 150) -> list[Result]:
    records = _records(sessions)
    return [_loader(records), _indexer(records)]
