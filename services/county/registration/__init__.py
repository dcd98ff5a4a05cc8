"""County registration (登记) of social organisations: the commands on a registered organisation
(``application``) and its zombie exit (``exits``). The ``Registration`` aggregate stays in
``services/county/domain.py`` (its events' topics are a storage contract, ADR 0002)."""
