"""The statements of a load, written once for both dialects where Redshift and PostgreSQL share
the syntax (temporary staging table, de-duplication, MERGE, ledger), Redshift's COPY built
with sqlalchemy-redshift, and PostgreSQL's one-statement merge of JSON lines.

Every name spliced into these statements is a table or column name from the shipped schemas or the
stage's configuration, never event data, which travels only through COPY.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def quoted(name: str) -> str:
    return f'"{name}"'


def create_staging(fact: str, staging: str = "staging") -> str:
    # INCLUDING DEFAULTS: loaded_at gets the load time; Redshift and PostgreSQL both read this.
    return f"CREATE TEMPORARY TABLE {staging} (LIKE {fact} INCLUDING DEFAULTS)"


def create_unique_staging(columns: Sequence[str], staging: str = "staging", unique: str = "staging_unique") -> str:
    """Redshift's MERGE needs a source with one row per key, and its source must be a table."""
    names = ", ".join(quoted(c) for c in columns)
    return (
        f"CREATE TEMPORARY TABLE {unique} AS SELECT {names} FROM "  # noqa: S608 - names from the schema
        f"(SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY server_time) AS sluice_rank FROM {staging}) AS ranked "
        f"WHERE sluice_rank = 1"
    )


def analyze(table: str = "staging_unique") -> str:
    """Statistics for the planner: temporary tables are never auto-analysed, and without them a
    MERGE of thousands of rows picks a nested loop (measured: 20x slower on PostgreSQL)."""
    return f"ANALYZE {table}"


def merge(fact: str, columns: Sequence[str], unique: str = "staging_unique") -> str:
    """Insert the events the table does not have yet. Redshift's MERGE requires a WHEN MATCHED
    clause; it keeps the stored row as it is (and its first load time)."""
    names = ", ".join(quoted(c) for c in columns)
    values = ", ".join(f"s.{quoted(c)}" for c in columns)
    return (
        f"MERGE INTO {fact} USING {unique} AS s ON {fact}.event_id = s.event_id "  # noqa: S608 - names from the schema
        f"WHEN MATCHED THEN UPDATE SET loaded_at = {fact}.loaded_at "
        f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})"
    )


def insert_new_lines(fact: str, columns: Sequence[str], lines: str = "staging_lines") -> str:
    """PostgreSQL's merge of JSON lines: the first line of each event_id (by server_time) that the
    table does not hold yet. One pass: the rows are built, de-duplicated and checked against the
    primary key in the statement (3x the staging + MERGE path, which needs an ANALYZE to plan)."""
    names = ", ".join(quoted(c) for c in columns)
    values = ", ".join(f"r.{quoted(c)}" for c in columns)
    return (
        f"INSERT INTO {fact} ({names}) SELECT DISTINCT ON (r.event_id) {values} "  # noqa: S608 - names from the schema
        f"FROM {lines}, LATERAL json_populate_record(NULL::{fact}, line) AS r "
        f"ORDER BY r.event_id, r.server_time ON CONFLICT (event_id) DO NOTHING"
    )


def drop_staging(*tables: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {t}" for t in tables]


def redshift_copy(staging_table: Any, manifest_url: str, iam_role_arn: str, *, gzip: bool, dialect: Any) -> str:
    """COPY from a manifest of lake objects (newline-delimited JSON, keys matched to columns)."""
    from sqlalchemy_redshift.commands import Compression, CopyCommand, Format

    command = CopyCommand(
        # An explicit column list: loaded_at is left to its DEFAULT (the load time).
        list(staging_table.columns),
        data_location=manifest_url,
        iam_role_arns=iam_role_arn,
        format=Format.json,
        path_file="auto",
        compression=Compression.gzip if gzip else None,
        time_format="auto",
        manifest=True,
        # Keep loading past bad lines; they are read back from STL_LOAD_ERRORS as failed events.
        max_error=100000,
        truncate_columns=False,
        stat_update=False,
        comp_update=False,
    )
    return str(command.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


LOAD_ERRORS = (
    "SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, TRIM(err_reason) AS reason, "
    "TRIM(raw_line) AS raw_line FROM stl_load_errors WHERE query = pg_last_copy_id() ORDER BY filename, line_number"
)
