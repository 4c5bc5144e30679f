"""The analytics export: logs read, Arrow tables, Parquet on disk or S3 (ADR 017)."""
