"""Password hashing (Argon2id) and the password policy.

The parameters are OWASP's baseline for Argon2id (19 MiB, 2 passes, 1 lane): about 30 ms per
hash on this project's 2-core reference machine, so a login costs one core a blink and a
guessing attacker with the hashes pays the memory for every guess. Hashes carry their own
parameters, so raising them later re-hashes each password at its next login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.kernel.domain import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256  # an upper bound keeps a login from being a hashing denial of service

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches; never raises for a wrong or malformed input."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_policy(password: str, username: str) -> None:
    """422 ``weak_password`` unless the password is long enough, mixes kinds of characters and
    is not the username."""
    kinds = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if (
        not MIN_LENGTH <= len(password) <= MAX_LENGTH
        or kinds < 2
        or username.lower() in password.lower()
    ):
        raise InvalidInput(
            "weak_password",
            f"密码须为 {MIN_LENGTH}–{MAX_LENGTH} 位，至少包含两类字符（小写、大写、数字、符号），"
            f"且不得包含登录名 / password: {MIN_LENGTH}-{MAX_LENGTH} characters of at least two "
            "kinds (lower, upper, digit, symbol), not containing the username",
        )
