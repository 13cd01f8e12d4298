"""The warehouse's table names. The loader needs only these (its statements are plain SQL);
the SQLAlchemy tables built from the schema (``sluice_tools.artifacts.warehouse``) are for migrations."""

__all__ = ["FACT_TABLE", "LEDGER_TABLE"]

FACT_TABLE = "player_events"
LEDGER_TABLE = "sluice_load_ledger"
