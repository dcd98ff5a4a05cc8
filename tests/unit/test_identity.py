"""Identity in isolation (ADR 0012): tokens (expiry, rotation, forgery), password hashing and
policy, lockout on the account aggregate, the account directory's refresh bound, secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from shared.capabilities.identity import passwords, secrets
from shared.capabilities.identity.accounts import Account, account_id, check_roles, check_username
from shared.capabilities.identity.directory import AccountView, Directory
from shared.capabilities.identity.tokens import Keyring, Unauthenticated, key_id
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor, InvalidInput, Meta
from shared.kernel.jurisdiction import Tier

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
KEY = "k" * 40
OLD_KEY = "o" * 40


def mint(ring: Keyring, now: datetime = NOW, version: int = 1) -> str:
    token, _ = ring.mint(
        account_id="a-1",
        tier="village",
        division="330699001001",
        roles=("operator",),
        name="张三",
        version=version,
        now=now,
    )
    return token


def refused_with(code: str, fn: object, *args: object) -> None:
    with pytest.raises(Unauthenticated) as caught:
        fn(*args)  # type: ignore[operator]
    assert caught.value.code == code and caught.value.status == 401


# ------------------------------------------------------------------ tokens


def test_a_token_carries_who_where_and_until_when() -> None:
    ring = Keyring(KEY, lifetime=timedelta(hours=8))
    token = mint(ring)
    claims = ring.read(token, NOW + timedelta(hours=1))
    assert (claims.account_id, claims.tier, claims.division) == ("a-1", "village", "330699001001")
    assert claims.roles == ("operator",) and claims.name == "张三" and claims.version == 1
    assert claims.expires_at - claims.issued_at == timedelta(hours=8)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == key_id(KEY) and header["alg"] == "HS256"
    assert KEY not in token and key_id(KEY) != KEY


def test_a_token_past_its_expiry_is_refused_as_expired() -> None:
    ring = Keyring(KEY, lifetime=timedelta(hours=8))
    token = mint(ring)
    ring.read(token, NOW + timedelta(hours=8) + timedelta(seconds=10))  # within the leeway
    refused_with("token_expired", ring.read, token, NOW + timedelta(hours=8, minutes=1))


def test_a_verified_token_is_remembered_but_its_expiry_is_checked_on_every_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.capabilities.identity import tokens

    ring = Keyring(KEY, lifetime=timedelta(hours=8))
    token, other = mint(ring), mint(ring, version=2)
    decoded: list[str] = []
    real = jwt.decode
    monkeypatch.setattr(
        tokens.jwt, "decode", lambda t, *a, **k: decoded.append(t) or real(t, *a, **k)
    )
    first = ring.read(token, NOW)
    assert ring.read(token, NOW + timedelta(hours=1)) == first  # the HMAC is checked once
    assert decoded == [token]
    refused_with("token_expired", ring.read, token, NOW + timedelta(hours=9))
    monkeypatch.setattr(tokens, "MAX_VERIFIED", 1)  # bounded: a full memory starts over
    ring.read(other, NOW)
    ring.read(token, NOW)
    assert decoded == [token, other, token]


def test_rotation_keeps_old_tokens_valid_until_the_old_key_is_dropped() -> None:
    old = mint(Keyring(OLD_KEY))
    rotated = Keyring(KEY, previous=(OLD_KEY,))
    assert rotated.read(old, NOW).account_id == "a-1"  # signed before the rotation
    new = mint(rotated)
    assert jwt.get_unverified_header(new)["kid"] == key_id(KEY)  # new ones: the new key
    refused_with("invalid_token", Keyring(KEY).read, old, NOW)  # old key dropped


def test_forged_edited_and_unsigned_tokens_are_refused() -> None:
    ring = Keyring(KEY)
    token = mint(ring)
    header, body, signature = token.split(".")
    forged = mint(Keyring("f" * 40))
    refused_with("invalid_token", ring.read, forged, NOW)
    # Someone else's key, claiming ours by its key id.
    refused_with("invalid_token", ring.read, ".".join([header, *forged.split(".")[1:]]), NOW)
    other_body = mint(ring, version=2).split(".")[1]
    refused_with("invalid_token", ring.read, f"{header}.{other_body}.{signature}", NOW)
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    refused_with("invalid_token", ring.read, unsigned, NOW)
    for junk in ("", "abc", "a.b.c", "é.é.é", "Bearer x", token + "x"):
        refused_with("invalid_token", ring.read, junk, NOW)


def test_a_signed_token_with_missing_or_odd_claims_is_refused() -> None:
    for claims in (
        {"iss": "sanji", "sub": "a", "iat": 0, "jti": "j"},  # no exp
        {"iss": "other", "sub": "a", "iat": 0, "exp": 2**40, "jti": "j"},
        {"iss": "sanji", "sub": "a", "iat": 0, "exp": 2**40, "jti": "j", "tier": "province"},
    ):
        token = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": key_id(KEY)})
        refused_with("invalid_token", Keyring(KEY).read, token, NOW)


# ------------------------------------------------------------------ passwords


def test_passwords_are_argon2id_hashes_that_verify_only_the_password() -> None:
    hashed = passwords.hash_password("Correct-horse-1")
    assert hashed.startswith("$argon2id$") and "Correct-horse-1" not in hashed
    assert passwords.verify_password(hashed, "Correct-horse-1")
    assert not passwords.verify_password(hashed, "correct-horse-1")
    assert not passwords.verify_password("not-a-hash", "Correct-horse-1")
    assert not passwords.verify_password(hashed, "x" * 10_000)  # no hashing a megabyte
    assert passwords.hash_password("Correct-horse-1") != hashed  # salted
    assert not passwords.needs_rehash(hashed)


@pytest.mark.parametrize(
    "weak", ["short1A", "alllowercaseletters", "zhangsan-Password1", "é" * 300]
)
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_policy(weak, "zhangsan")
    assert caught.value.code == "weak_password" and "密码" in caught.value.message


def test_usernames_and_roles_are_checked() -> None:
    assert check_username("village-330699001001-operator")
    assert check_roles(["admin", "operator", "admin"]) == ("operator", "admin")
    for bad in ("ab", "Zhang", "张三", "a b", "-x1", "x" * 65):
        with pytest.raises(InvalidInput):
            check_username(bad)
    for roles in ([], ["root"], ["operator", "superuser"]):
        with pytest.raises(InvalidInput):
            check_roles(roles)
    assert account_id(Tier.VILLAGE, "a1x") != account_id(Tier.TOWNSHIP, "a1x")


# ------------------------------------------------------------------ the account aggregate


def _meta(at: datetime = NOW) -> Meta:
    return Meta(Actor("x", Tier.COUNTY, "330699000000"), at, "c")


def _account() -> Account:
    return Account.create(
        account_id(Tier.VILLAGE, "clerk"),
        _meta(),
        username="clerk",
        name="张三",
        tier="village",
        division_code="330699001001",
        roles=["operator"],
        password_hash="h",
        must_change_password=True,
    )


def test_repeated_failed_logins_lock_the_account_for_a_while() -> None:
    account = _account()
    for i in range(4):
        account.fail_login("10.0.0.1", NOW, 5, timedelta(minutes=15), _meta())
        assert not account.locked(NOW), i
    account.fail_login("10.0.0.1", NOW, 5, timedelta(minutes=15), _meta())
    assert account.locked(NOW + timedelta(minutes=14))
    assert not account.locked(NOW + timedelta(minutes=15))
    types = [type(e).__name__ for e in account.collect_events()]
    assert types == ["Created", *["LoginFailed"] * 5, "Locked"]


def test_a_successful_login_resets_the_count_of_failures() -> None:
    account = _account()
    for _ in range(4):
        account.fail_login("a", NOW, 5, timedelta(minutes=15), _meta())
    account.log_in("t1", NOW + timedelta(hours=8), "a", _meta())
    for _ in range(4):
        account.fail_login("a", NOW, 5, timedelta(minutes=15), _meta())
    assert not account.locked(NOW)


def test_changes_that_end_sessions_move_the_security_version() -> None:
    account = _account()
    versions = [account.security_version]
    account.change("张三", ("operator", "viewer"), _meta())
    versions.append(account.security_version)
    account.disable("离职", _meta())
    versions.append(account.security_version)
    account.enable("返岗", _meta())
    versions.append(account.security_version)
    account.set_password("h2", False, _meta())
    versions.append(account.security_version)
    assert versions == [1, 2, 3, 4, 5]
    account.log_in("t1", NOW + timedelta(hours=8), "a", _meta())
    account.log_out("t1", NOW + timedelta(hours=8), _meta())
    assert account.security_version == 5 and "t1" in account.revoked


# ------------------------------------------------------------------ the directory


class FakeStore:
    def __init__(self, account: Account) -> None:
        self.account, self.reads = account, 0

    def find(self, id: object) -> Account | None:
        self.reads += 1
        return self.account if id == self.account.id else None


def test_the_directory_rereads_an_account_within_the_refresh_bound() -> None:
    account = _account()
    store = FakeStore(account)
    now = [0.0]
    directory = Directory(lambda tier: store, refresh=30, clock=lambda: now[0])
    ring = Keyring(KEY)
    token, _ = ring.mint(
        account_id=str(account.id),
        tier="village",
        division="330699001001",
        roles=("operator",),
        name="张三",
        version=account.security_version,
        now=NOW,
    )
    claims = ring.read(token, NOW)

    def check() -> AccountView:
        view = directory.cached(claims.account_id) or directory.get(Tier.VILLAGE, claims.account_id)
        return Directory.authenticate(claims, view)

    assert check().actor().id == str(account.id) and store.reads == 1
    account.disable("离职", _meta())
    now[0] = 29.0
    assert check().enabled and store.reads == 1  # still within the bound: not re-read
    now[0] = 30.0
    refused_with("account_disabled", check)
    assert store.reads == 2
    account.enable("返岗", _meta())
    directory.forget(claims.account_id)  # the process that recorded it knows at once
    refused_with("token_stale", check)  # the token predates two changes


def test_an_unknown_account_or_another_tiers_claim_is_refused() -> None:
    account = _account()
    directory = Directory(lambda tier: FakeStore(account), refresh=30)
    ring = Keyring(KEY)
    claims = ring.read(mint(ring), NOW)  # names account "a-1", which no store holds
    refused_with(
        "account_unknown", Directory.authenticate, claims, directory.get(Tier.VILLAGE, "a-1")
    )
    view = AccountView.of(account)
    wrong_tier = ring.read(
        ring.mint(
            account_id=str(account.id),
            tier="county",
            division="330699000000",
            roles=("admin",),
            name="x",
            version=1,
            now=NOW,
        )[0],
        NOW,
    )
    refused_with("account_unknown", Directory.authenticate, wrong_tier, view)


# ------------------------------------------------------------------ secrets


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "SANJI_SECRET is not set"),
        (secrets.DEMO_SECRET, "public demo default"),
        ("x" * 31, "shorter than 32 bytes"),
    ],
)
def test_production_refuses_a_missing_public_or_short_secret(
    tmp_path: Path, secret: str, problem: str
) -> None:
    for production in (
        Settings(persistence="postgres", secret=secret, data_dir=tmp_path),
        Settings(transport="kafka", secret=secret, data_dir=tmp_path),
    ):
        with pytest.raises(secrets.InsecureSecret) as caught:
            secrets.resolve(production)
        assert problem in str(caught.value) and "SANJI_SECRET" in str(caught.value)
    assert not (tmp_path / "secret").exists()  # nothing generated for production


def test_embedded_generates_one_secret_per_install_and_keeps_it(tmp_path: Path) -> None:
    first = secrets.resolve(Settings(data_dir=tmp_path)).secret
    assert len(first) >= 48 and first == secrets.resolve(Settings(data_dir=tmp_path)).secret
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert secrets.resolve(Settings(data_dir=tmp_path / "other")).secret != first
    good = "g" * 32
    assert secrets.resolve(Settings(persistence="postgres", secret=good)).secret == good


def test_the_refresh_bound_cannot_exceed_sixty_seconds() -> None:
    with pytest.raises(ValueError, match="SANJI_ACCOUNT_REFRESH_SECONDS"):
        Settings(account_refresh_seconds=61)
