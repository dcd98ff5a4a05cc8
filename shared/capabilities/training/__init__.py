"""Training courses (培训) for community social organisations, run by the county or a township
(issue 16, ADR 0024)."""
