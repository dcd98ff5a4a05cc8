"""A county's unified login as an OIDC issuer that this test creates (ADR 0012): its tokens are
verified against the keys it publishes and mapped to Sanji accounts, which still decide."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import VILLAGE, Api, build_platform, meta

ISSUER = "https://idp.example.gov.cn/realms/county"
AUDIENCE = "sanji"
ADMIN = Actor("c-admin", Tier.COUNTY, "330699000000", "admin", "县管理员", ("admin",))


class Issuer:
    """An identity provider: an RSA key, its JWKS served over HTTP, tokens signed with it."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}
        jwks = json.dumps(self.jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(jwks)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"

    def token(self, key: Any = None, alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": now + 3600,
            "iat": now,
            "jti": "idp-session-1",
            "preferred_username": "wangfang",
            **claims,
        }
        return jwt.encode(body, key or self.key, algorithm=alg, headers={"kid": "idp-1"})


@pytest.fixture
def idp() -> Iterator[Issuer]:
    issuer = Issuer()
    yield issuer
    issuer.server.shutdown()


@pytest.fixture
def oidc_api(tmp_path: Path, idp: Issuer) -> Iterator[Api]:
    p = build_platform(tmp_path, oidc_issuer=ISSUER, oidc_jwks_url=idp.url, oidc_audience=AUDIENCE)
    p.start()
    yield Api.of(p)
    p.stop()


def call(api: Api, token: str) -> Any:
    return api.village.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_provider_token_logs_the_mapped_account_in(oidc_api: Api, idp: Issuer) -> None:
    api = oidc_api
    r = api.village.post(
        "/api/v1/accounts",
        json={"username": "wangfang", "name": "王芳", "division": VILLAGE, "roles": ["operator"]},
        headers=api.auth(ADMIN),
    )
    assert r.status_code == 201, r.text
    me = call(api, idp.token())
    assert me.status_code == 200, me.text
    # The Sanji account decides division and roles; its first-login password does not apply.
    assert (me.json()["username"], me.json()["division"], me.json()["roles"]) == (
        "wangfang",
        VILLAGE,
        ["operator"],
    )
    applied = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "文昌读书会",
            "field": "culture_sports",
            "founded_on": "2025-03-01",
        },
        headers={"Authorization": f"Bearer {idp.token()}"},
    )
    assert applied.status_code == 201, applied.text
    app = api.platform.tiers[Tier.VILLAGE].app
    last = app.mapper.to_domain_event(app.recorder.select_notifications(1, 10_000)[-1])
    assert (last.meta.actor.id, last.meta.actor.name) == (r.json()["id"], "王芳")

    def refused(token: str, code: str) -> None:
        answer = call(api, token)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, code), answer.text

    refused(idp.token(preferred_username="nobody"), "account_unknown")
    refused(idp.token(aud="another-system"), "invalid_token")
    refused(idp.token(exp=int(time.time()) - 3600), "token_expired")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(idp.token(key=stranger), "invalid_token")  # the provider's kid, another key
    # Algorithm confusion: the provider's public key used as an HMAC secret.
    public_pem = idp.jwks["keys"][0]["n"]
    refused(idp.token(key=public_pem, alg="HS256"), "invalid_token")
    # Disabled in Sanji: the provider's login no longer lets the person in.
    app.disable_account(UUID(r.json()["id"]), "离职", meta(ADMIN))
    api.platform.tiers[Tier.VILLAGE].directory.forget(r.json()["id"])
    refused(idp.token(), "account_disabled")
