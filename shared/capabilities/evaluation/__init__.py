"""Third-party evaluation (第三方评估, ADR 0026): evaluators, assignments, findings, decisions."""
