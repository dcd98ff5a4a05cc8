"""County supervision: credit lists, rectification and grades (ADR 0007): commands
(``application``) and routes (``api``); the credit rules are ``services/county/credit.py``."""
