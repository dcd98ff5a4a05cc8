"""What checking an access token costs a request (ADR 0012), against the HMAC check it replaced.

The check a warm request makes: the JWT (HS256) as the keyring remembers it once verified
(ADR 0033: expiry checked, signature not again), then compare it with the account as this
process last read it (no I/O). Also measured: a token's first request, which decodes and
verifies the JWT. The baseline, measured in the same run, is the earlier stateless token:
HMAC-SHA256 over a base64 JSON body and a JSON decode.

    .venv/bin/python -m bench.token_check [--n 20000] [--quick] [--json]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import timeit
from datetime import UTC, datetime

from bench.measures import Measure, Output, parse, parser
from shared.capabilities.identity.directory import AccountView, Directory
from shared.capabilities.identity.tokens import Keyring
from shared.kernel.jurisdiction import Tier

SECRET = "k" * 48


def jwt_check(first: bool = False) -> object:
    ring = Keyring(SECRET)
    now = datetime.now(UTC)
    token, _ = ring.mint(
        account_id="a",
        tier="village",
        division="330699001001",
        roles=("operator",),
        name="张三",
        version=1,
        now=now,
    )
    view = AccountView(
        "a", "u", "张三", Tier.VILLAGE, "330699001001", ("operator",), True, False, 1, frozenset()
    )
    directory = Directory(lambda tier: None, 30)
    directory.get = lambda tier, id: view  # type: ignore[method-assign]
    directory.get(Tier.VILLAGE, "a")

    def check() -> None:
        # A new keyring remembers nothing: every read verifies, as a token's first request.
        claims = (Keyring(SECRET) if first else ring).read(token, now)
        Directory.authenticate(claims, view)

    return check


def hmac_check() -> object:
    claims = {"id": "village-330699001001", "tier": "village", "division": "330699001001"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()[:43]

    def check() -> None:
        expected = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()[:43]
        assert hmac.compare_digest(signature, expected)
        json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))

    return check


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=20000)
    args = parse(p, {"n": 5000}, argv)
    out = Output("token_check", args.json)
    with out.human():
        rounds = {}
        makers = (
            ("hmac (baseline)", hmac_check),
            ("jwt + account", jwt_check),
            ("first request", lambda: jwt_check(first=True)),
        )
        for name, make in makers:
            check = make()
            rounds[name] = min(timeit.repeat(check, number=args.n, repeat=5)) / args.n * 1e6  # type: ignore[arg-type]
        base = rounds["hmac (baseline)"]
        for name, us in rounds.items():
            print(f"[bench] {name:<16} {us:6.1f} µs per request ({us / base:.1f}x the baseline)")
    out.add(
        Measure("token_check_jwt", rounds["jwt + account"], "µs", "hmac token check", base),
        Measure(
            "token_check_jwt_first_request",
            rounds["first request"],
            "µs",
            "hmac token check",
            base,
        ),
    )
    out.emit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
