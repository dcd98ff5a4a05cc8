"""A county's unified login (统一身份认证) as an OpenID Connect issuer (ADR 0012).

A token from the configured issuer is verified against the issuer's published keys (JWKS, fetched
and cached by PyJWT's ``PyJWKClient``), for the configured audience, and mapped to an account of
the service's tier by one claim (default ``preferred_username`` = the account's username). The
Sanji account still decides: it must exist and be enabled, and its division and roles are the
ones that count, so the issuer proves who someone is, never what they may do. A session ends at
the issuer; disabling the account in Sanji refuses it within the refresh bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import jwt

from shared.capabilities.identity.tokens import LEEWAY, Unauthenticated

ALGORITHMS = ["RS256", "ES256", "EdDSA"]  # asymmetric only: the issuer's key stays the issuer's


@dataclass
class OidcIssuer:
    issuer: str
    jwks_url: str
    audience: str
    claim: str = "preferred_username"
    _keys: jwt.PyJWKClient | None = field(default=None, repr=False)

    def issued(self, token: str) -> bool:
        """True if ``token`` claims to come from this issuer (not yet verified)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return isinstance(claims, dict) and claims.get("iss") == self.issuer

    def username(self, token: str, now: datetime) -> tuple[str, str, datetime]:
        """(username, session id, expiry) of a valid token from this issuer; 401 otherwise.
        May fetch the issuer's keys: call off the event loop."""
        if self._keys is None:
            self._keys = jwt.PyJWKClient(self.jwks_url, lifespan=300, timeout=5)
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", self.claim], "verify_exp": False},
            )
            expires = datetime.fromtimestamp(int(claims["exp"]), now.tzinfo)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError, OverflowError):
            raise Unauthenticated(
                "invalid_token", "统一身份认证令牌无效 / the identity provider's token is not valid"
            ) from None
        if now >= expires + LEEWAY:
            raise Unauthenticated("token_expired", "登录已过期，请重新登录 / the token has expired")
        return str(claims[self.claim]).strip().lower(), str(claims.get("jti", "")), expires
