"""The statements of a load, written once for both dialects where Redshift and PostgreSQL share
the syntax (temporary staging table, de-duplication, MERGE, ledger), Redshift's COPY, and
PostgreSQL's one-statement merge of JSON lines. Plain SQL for psycopg2 (``%s`` parameters): the
loader carries no SQLAlchemy (tests check the COPY against sqlalchemy-redshift's CopyCommand).

Every name spliced into these statements is a table or column name from the shipped schemas or the
stage's configuration, never event data, which travels only through COPY.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "LOAD_ERRORS",
    "analyze",
    "claim_object",
    "create_staging",
    "create_unique_staging",
    "drop_staging",
    "insert_new_lines",
    "literal",
    "loaded_objects",
    "merge",
    "quoted",
    "record_objects",
    "redshift_copy",
    "update_object_counts",
]


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


def literal(value: str) -> str:
    """A SQL string literal (quotes doubled; backslashes too, which Redshift reads as escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def redshift_copy(staging: str, columns: Sequence[str], manifest_url: str, iam_role_arn: str, *, gzip: bool) -> str:
    """COPY from a manifest of lake objects (newline-delimited JSON, keys matched to columns).
    An explicit column list: loaded_at is left to its DEFAULT (the load time)."""
    options = [
        f"WITH CREDENTIALS AS {literal('aws_iam_role=' + iam_role_arn)}",
        "FORMAT AS JSON AS 'auto'",
        *(["GZIP"] if gzip else []),
        "MANIFEST",
        "TIMEFORMAT AS 'auto'",
        "COMPUPDATE OFF",
        # Keep loading past bad lines; they are read back from STL_LOAD_ERRORS as failed events.
        "MAXERROR AS 100000",
        "STATUPDATE OFF",
    ]
    names = ", ".join(columns)
    return f"COPY {staging} ({names}) FROM {literal(manifest_url)} " + " ".join(options)


def claim_object(ledger: str) -> str:
    """The ledger row that claims a lake object: nothing comes back when it is already there."""
    return (
        f"INSERT INTO {ledger} (object_key, etag, rows_loaded, bad_lines) VALUES (%s, %s, %s, %s) "  # noqa: S608 - the ledger's name
        "ON CONFLICT DO NOTHING RETURNING object_key"
    )


def update_object_counts(ledger: str) -> str:
    """A claimed object's counts once the load found lines the warehouse refused (rows_loaded,
    bad_lines, object_key, etag)."""
    return f"UPDATE {ledger} SET rows_loaded = %s, bad_lines = %s WHERE object_key = %s AND etag = %s"  # noqa: S608 - the ledger's name


def record_objects(ledger: str) -> str:
    """The ledger rows of loaded objects (Redshift has no ON CONFLICT; the objects were checked)."""
    return f"INSERT INTO {ledger} (object_key, etag, rows_loaded, bad_lines) VALUES (%s, %s, %s, %s)"  # noqa: S608 - the ledger's name


def loaded_objects(ledger: str, count: int) -> str:
    """Which of ``count`` (object_key, etag) pairs the ledger has (parameters in that order)."""
    pairs = " OR ".join(["(object_key = %s AND etag = %s)"] * count)
    return f"SELECT object_key, etag FROM {ledger} WHERE {pairs}"  # noqa: S608 - placeholders only


LOAD_ERRORS = (
    "SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, TRIM(err_reason) AS reason, "
    "TRIM(raw_line) AS raw_line FROM stl_load_errors WHERE query = pg_last_copy_id() ORDER BY filename, line_number"
)
