"""Identity: personal accounts, passwords, access tokens and the secrets that sign them (ADR 0012)."""
