"""Third-party evaluation at the county (ADR 0026): the commands (``application``) and routes
(``api``); the aggregates and read model are the ``evaluation`` capability's."""
