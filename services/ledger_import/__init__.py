"""Ledger import (台账导入, issue 14, ADR 0020): templates, dry run and import of a county's
ledgers through the tier applications' own commands.

``sheets`` defines the sheets and columns; ``template`` writes the XLSX and CSV templates;
``reader`` streams a ledger's rows; ``cells`` parses a cell; ``recorder`` records one row
through the commands; ``run`` orders the phases and tallies; ``batch`` saves a phase's new
records 100 to a transaction; ``scratch`` is the dry run's in-memory platform; ``report`` writes the error report and summary; ``cli`` is
``python -m services import-template`` and ``python -m services import``.
"""
