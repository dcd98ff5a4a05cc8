"""A person at a browser, without a browser: a TestClient that keeps cookies, reads the CSRF
token from the pages it loads and submits forms as a browser would (tests/console/*). The real
Chromium runs in tests/browser/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shared.kernel.domain import Actor
from tests.helpers import TEST_PASSWORD, Api, client_of, test_account

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class Person:
    client: Any  # fastapi.testclient.TestClient, its own cookie jar
    csrf: str = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form (the CSRF token of the last page loaded included), not following the
        redirect, so tests see where the console sends the person."""
        if not self.csrf:
            self.get("/login")
        fields = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(path, data=fields, follow_redirects=False, **kwargs)

    def login(self, username: str, password: str = TEST_PASSWORD) -> Any:
        self.get("/login")
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status_code == 303, response.text
        return response


def person(api: Api, actor: Actor, login: bool = True) -> Person:
    """A browser on ``actor``'s tier's service, signed in to the actor's (test) account."""
    runtime = api.platform.tiers[actor.tier]
    test_account(runtime.app, actor)
    client = client_of(api.clients[actor.tier].app)
    p = Person(client)
    if login:
        p.login(actor.id.lower())
    return p
