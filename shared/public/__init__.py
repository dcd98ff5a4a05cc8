"""The public disclosure surface (公示, issue 16 item 5, ADR 0023): read-only pages a resident
opens without an account, served by the county service under ``/public/``."""
