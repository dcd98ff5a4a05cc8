"""The operator console: Chinese pages for the people who run the three tiers, served by each
tier's service at ``/`` (issue 13, ADR 0017). Pages reach data only through the tier's own
operator API, with the signed-in person's token."""
