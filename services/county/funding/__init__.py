"""County funding (ADR 0011): calls and applications (``domain``), their commands
(``application``) and routes (``api``).

The aggregates lived in ``services/county/funding.py`` until ADR 0016, so events stored before
carry topics such as ``services.county.funding:FundingCall.Opened``: this package is that
module path now, and names the aggregates so those topics still resolve (ADR 0002). It is not
registered in shared/tier/topics.py: a registered old path that is also a package would
shadow the new ``services.county.funding.domain`` topics.
"""

from services.county.funding.domain import FundingApplication, FundingCall

__all__ = ["FundingApplication", "FundingCall"]
