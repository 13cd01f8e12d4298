"""The warehouse's table names. The loader needs only these (its statements are plain SQL);
the SQLAlchemy tables built from the schema (``sluice.artifacts.warehouse``) are for migrations."""

FACT_TABLE = "player_events"
LEDGER_TABLE = "sluice_load_ledger"
