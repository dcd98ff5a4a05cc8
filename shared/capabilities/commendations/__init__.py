"""Yearly commendation rounds (评先评优, 表彰) and the governance-participation rule that restricts
commendation, grading, funding applications and purchase of services (issue 16, ADR 0024)."""
