"""Metrics tables: the visit log and daily snapshots (built in the metrics issue)."""
