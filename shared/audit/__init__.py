"""Audit: what an auditor or a people's congress asks of the record (domain.md §5)."""
