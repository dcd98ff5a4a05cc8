"""The console's only way to data: this tier's own operator API, called in-process with the
signed-in person's token (ADR 0017). Jurisdiction, validation, rate limits, the access log and
metrics therefore apply to a click exactly as they apply to a script."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request

BASE = "http://console.internal"


@dataclass
class ApiError(Exception):
    """An answer outside 2xx, in the API's error envelope."""

    status: int
    code: str
    message_zh: str
    message: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    # The record's version now, with a 409 version_mismatch (ADR 0035).
    etag: str | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        return cls(
            status=response.status_code,
            code=str(error.get("code", "http_error")),
            message_zh=str(error.get("message_zh") or error.get("message") or "请求失败"),
            message=str(error.get("message", "")),
            details=list(error.get("details") or []),
            etag=response.headers.get("etag"),
        )


class Api:
    """One page's calls to the API. ``token`` is the session's bearer token, if any."""

    def __init__(self, request: Request, token: str | None) -> None:
        client = request.client
        transport = httpx.ASGITransport(
            app=request.app, client=(client.host, client.port) if client else ("127.0.0.1", 0)
        )
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            # The page's request id becomes the correlation id of the events it causes.
            headers["X-Request-Id"] = request_id
        self._client = httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        return self._answer(await self._client.get(path, params=query))

    async def versioned(self, path: str) -> tuple[Any, str | None]:
        """One record and its ``ETag`` (its version, ADR 0035; None if the API sent none)."""
        response = await self._client.get(path)
        return self._answer(response), response.headers.get("etag")

    async def post(
        self, path: str, json: Any = None, data: Any = None, if_match: str | None = None
    ) -> Any:
        headers = {"If-Match": if_match} if if_match else None
        return self._answer(await self._client.post(path, json=json, data=data, headers=headers))

    async def post_file(
        self, path: str, field: str, filename: str, content: bytes, media_type: str
    ) -> Any:
        """A multipart upload of one file (the ledger: its route's own body limit applies)."""
        files = {field: (filename, content, media_type)}
        return self._answer(await self._client.post(path, files=files))

    async def settled(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until this tier's read model shows what its store holds now, so the
        page a person is sent to after a form shows what they just did. Lists are read
        models, projected asynchronously (ADR 0001); past the bound the page says it as it is."""
        ready = (await self._client.get("/ready")).json()
        source, head = ready.get("source"), int(ready.get("store_head") or 0)
        deadline = asyncio.get_running_loop().time() + timeout
        while source and int(ready.get("projector_positions", {}).get(source, 0)) < head:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.01)
            ready = (await self._client.get("/ready")).json()

    async def raw(self, path: str, **params: Any) -> httpx.Response:
        """An export, passed through as the API answered it."""
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        response = await self._client.get(path, params=query)
        if response.status_code >= 400:
            raise ApiError.of(response)
        return response

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        # The API redirecting (a path with a trailing slash, say) is no answer a page can use.
        if response.status_code >= 300:
            raise ApiError.of(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


def segment(text: object) -> str:
    """Text from a page address as one segment of an API path: '?', '#' and dots stay part of
    it instead of naming another API path. A '/' cannot: the server decodes %2F before it
    routes, so text holding one names no record (404)."""
    value = str(text)
    if not value or "/" in value or "\\" in value:
        raise ApiError(404, "not_found", "没有这个页面。请从首页进入。")
    return quote(value, safe="").replace(".", "%2E")
