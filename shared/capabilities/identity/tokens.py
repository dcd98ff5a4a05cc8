"""Access tokens: JWTs (PyJWT, HS256) naming an account, with one signing key and several
verification keys, so a key rotates without logging everyone out (ADR 0012).

Claims: ``sub`` (account id), ``iat``, ``exp``, ``jti`` (the session, for logout), ``tier``,
``division``, ``roles``, ``name`` and ``ver`` (the account's security version when the token
was minted). The header's ``kid`` names the key. A token proves who logged in and until when;
whether the account may still act is checked against the account itself
(shared/capabilities/identity/directory.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt

from shared.kernel.domain import DomainError
from shared.kernel.jurisdiction import Tier

ISSUER = "sanji"
ALGORITHM = "HS256"
LEEWAY = timedelta(seconds=30)  # clock skew between the processes of a deployment


class Unauthenticated(DomainError):
    """401: no credential, or one that does not (or no longer) prove who is asking."""

    status = 401


def key_id(secret: str) -> str:
    """A public name for a key: a hash prefix, so logs and headers never show the key."""
    return hashlib.sha256(b"sanji-kid:" + secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Claims:
    account_id: str
    tier: str
    division: str
    roles: tuple[str, ...]
    name: str
    version: int
    token_id: str
    issued_at: datetime
    expires_at: datetime


# What a verified token says, its times as POSIX seconds (account, tier, division, roles, name,
# security version, session, issued, expires).
_Checked = tuple[str, str, str, tuple[str, ...], str, int, str, int, int]
# Verified tokens remembered per keyring: far more than the sessions of one county's staff.
MAX_VERIFIED = 20_000


@dataclass(frozen=True)
class Keyring:
    """The signing key and the keys still accepted (``previous``: rotated out, not yet expired)."""

    signing: str
    previous: tuple[str, ...] = ()
    lifetime: timedelta = timedelta(hours=8)
    # Tokens whose signature and claims this keyring has already checked, with their claims.
    # The keys never change for a given keyring (rotation builds a new one), so a signature
    # once valid stays valid; expiry is still checked on every read, and whether the account
    # may act is the directory's question, asked per request. Saves the HMAC and JSON work
    # of PyJWT on every request (~5% of an API process's CPU, issue 15).
    _verified: dict[str, _Checked] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def mint(
        self,
        *,
        account_id: str,
        tier: str,
        division: str,
        roles: tuple[str, ...],
        name: str,
        version: int,
        now: datetime,
        lifetime: timedelta | None = None,
    ) -> tuple[str, Claims]:
        expires = now + (lifetime or self.lifetime)
        claims = Claims(
            account_id,
            tier,
            division,
            tuple(roles),
            name,
            version,
            secrets.token_urlsafe(16),
            now,
            expires,
        )
        payload = {
            "iss": ISSUER,
            "sub": account_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": claims.token_id,
            "tier": tier,
            "division": division,
            "roles": list(roles),
            "name": name,
            "ver": version,
        }
        token = jwt.encode(
            payload, self.signing, algorithm=ALGORITHM, headers={"kid": key_id(self.signing)}
        )
        return token, claims

    def read(self, token: str, now: datetime) -> Claims:
        """The claims of a token signed by one of our keys; 401 otherwise."""
        checked = self._verified.get(token)
        if checked is None:
            checked = self._verify(token)
            if len(self._verified) >= MAX_VERIFIED:
                self._verified.clear()  # rare, and only costs one verification per token again
            self._verified[token] = checked
        account, tier, division, roles, name, version, jti, iat, exp = checked
        # Expiry against the platform's clock (tests move it), with a small leeway.
        try:
            expires = datetime.fromtimestamp(exp, now.tzinfo)
            issued = datetime.fromtimestamp(iat, now.tzinfo)
        except (ValueError, OverflowError, OSError):
            raise _invalid() from None
        claims = Claims(account, tier, division, roles, name, version, jti, issued, expires)
        if now >= expires + LEEWAY:
            raise Unauthenticated(
                "token_expired", "登录已过期，请重新登录 / the token has expired: log in again"
            )
        return claims

    def _verify(self, token: str) -> _Checked:
        """Signature, issuer and claims of a token; its expiry depends on the time of reading."""
        key = self._key_for(token)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # Times are checked by read() against the platform's clock, not the wall clock.
                options={
                    "require": ["exp", "iat", "sub", "jti", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            raise _invalid() from None
        try:
            checked: _Checked = (
                str(payload["sub"]),
                str(payload["tier"]),
                str(payload["division"]),
                tuple(str(r) for r in payload["roles"]),
                str(payload.get("name", "")),
                int(payload["ver"]),
                str(payload["jti"]),
                int(payload["iat"]),
                int(payload["exp"]),
            )
            Tier(checked[1])
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise _invalid() from None
        return checked

    def _key_for(self, token: str) -> str:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise _invalid() from None
        for secret in (self.signing, *self.previous):
            if kid == key_id(secret):
                return secret
        raise _invalid()


def _invalid() -> Unauthenticated:
    return Unauthenticated("invalid_token", "令牌无效 / the token is not valid")
