"""Scenario tests: counties built to match published figures, loaded through the operator APIs."""
