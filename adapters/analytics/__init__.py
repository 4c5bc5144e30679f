"""The analytics export: logs read, Arrow tables, Parquet on disk or S3 (ADR 017)."""

# Events per chunk, and so at most per Parquet file. Here, not in ``export``, so the
# command line names it without importing pyarrow at every start-up.
DEFAULT_CHUNK_SIZE = 100_000
