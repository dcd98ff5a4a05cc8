"""Operator credentials: a signed token binding an operator to (tier, division, role).

Stateless (HMAC-SHA256 over the claims with ``SANJI_SECRET``) so that every process of a tier
can check it without a session store. A production deployment puts a real identity provider in
front and mints these per login; the claims and the checks stay the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from shared.domain import Actor, DomainError
from shared.jurisdiction import Jurisdiction, Tier

ROLES = ("operator", "viewer")


class Unauthenticated(DomainError):
    status = 401


def issue(actor: Actor, secret: str) -> str:
    claims = {
        "id": actor.id,
        "tier": str(actor.tier),
        "division": actor.division,
        "role": actor.role,
    }
    body = (
        base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).decode().rstrip("=")
    )
    return f"{body}.{_sign(body, secret)}"


def verify(token: str, secret: str) -> Actor:
    body, _, signature = token.partition(".")
    if not signature or not hmac.compare_digest(signature, _sign(body, secret)):
        raise Unauthenticated("invalid_token", "the operator token is not valid")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return Actor(claims["id"], Tier(claims["tier"]), claims["division"], claims["role"])


def _sign(body: str, secret: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:43]


def demo_operators(j: Jurisdiction) -> list[Actor]:
    """One operator per division of the demo county, bound to that division's tier."""
    actors = [Actor("county-admin", Tier.COUNTY, j.county.code)]
    for t in j.townships():
        actors.append(Actor(f"township-{t.code}", Tier.TOWNSHIP, t.code))
    for v in j.villages():
        actors.append(Actor(f"village-{v.code}", Tier.VILLAGE, v.code))
    return actors
