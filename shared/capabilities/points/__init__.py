"""Resident points (积分制, issue 16 item 6, ADR 0027): the read model of communities' pilots and
manual adjustments (points earned at activities are derived, not stored)."""
