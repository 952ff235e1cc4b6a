"""A fake Zalo Official Account platform: the OA API, the OAuth server, and Zalo's webhook sender.

A real aiohttp server on 127.0.0.1 (one method per endpoint, JSON shaped as in
../shared/reference/zalo.md §1):
- `POST /v3.0/oa/message/cs` checks the `access_token` header (-216 when expired or unknown)
  and the message (-210 for a text over 2,000 characters, more than 5 buttons, a numeric id);
  with `window` set it also refuses (-230) a user who has not written within that many seconds,
  as the OA does outside its free-form window (integrators report -213 and -230 for it);
- `POST /v4/oa/access_token` refreshes: `secret_key` header, form body, and the refresh token is
  single-use (a used one is refused, as Zalo does);
- `deliver()` plays Zalo: it signs an event (SHA-256 of app_id + body + timestamp + OA secret key)
  and POSTs it to the bot's webhook.
It records everything it received. Nothing here knows about rightsbot.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

Json = dict[str, Any]


@dataclass
class Sent:
    """One message the OA sent: to whom, its text, its buttons (title, payload), when."""

    user_id: str
    text: str
    buttons: list[tuple[str, str]]
    token: str
    at: float = field(default_factory=time.perf_counter)


class FakeZaloOA(LoopbackServer):
    """`async with FakeZaloOA() as oa:` serves `oa.base_url` (both ZALO_OA_API_BASE_URL and ZALO_OAUTH_BASE_URL)."""

    def __init__(self, app_id: str = "1234567890123456789", secret_key: str = "oa-secret-key",
                 app_secret: str = "app-secret") -> None:
        self.app_id = app_id
        self.secret_key = secret_key
        self.app_secret = app_secret
        self.access_token = "access-0"
        self.refresh_token = "refresh-0"
        self.valid_access: set[str] = {self.access_token}
        self.used_refresh: set[str] = set()
        self.sent: list[Sent] = []
        self.rejected: list[Json] = []           # sends refused with an error, with the reason
        self.refreshes: list[Json] = []          # the refresh requests received (form fields)
        self.webhook_statuses: list[int] = []
        self.window: float | None = None          # seconds a user's last message opens messaging for
        self.last_wrote: dict[str, float] = {}    # user id -> when deliver() last carried their event
        self.on_sent: Callable[[Sent], None] | None = None   # e.g. a benchmark timing replies
        self._issued = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.web = web.Application()
        self.web.router.add_post("/v3.0/oa/message/cs", self.message_cs)
        self.web.router.add_post("/v4/oa/access_token", self.oauth_access_token)

    # --- server life ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls -------------------------------------------------------------------------

    def expire_access_token(self) -> None:
        """Every access token issued so far now answers -216 (as after ~25 hours)."""
        self.valid_access.clear()

    def texts_to(self, user_id: str) -> list[str]:
        return [s.text for s in self.sent if s.user_id == user_id]

    async def wait_for_sent(self, user_id: str, count: int, timeout: float = 15.0) -> list[Sent]:
        """The first `count` messages sent to a user, waiting for them to arrive."""
        async def ready() -> list[Sent]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self._to(user_id)) >= count)
            return self._to(user_id)

        try:
            return await asyncio.wait_for(ready(), timeout)
        except TimeoutError:
            raise AssertionError(f"expected {count} messages to {user_id}, got {self.texts_to(user_id)}") from None

    def _to(self, user_id: str) -> list[Sent]:
        return [s for s in self.sent if s.user_id == user_id]

    # --- playing Zalo: signed webhook events -----------------------------------------------------

    def event(self, user_id: str, text: str | None = None, *, event_name: str = "user_send_text",
              msg_id: str | None = None, timestamp: str | None = None) -> Json:
        """A webhook event as Zalo sends it (ids are strings of digits)."""
        body: Json = {
            "app_id": self.app_id, "sender": {"id": user_id}, "recipient": {"id": "579745863508352884"},
            "event_name": event_name, "timestamp": timestamp or str(int(time.time() * 1000)),
            "user_id_by_app": "552177279717587730",
        }
        if event_name == "follow":
            body = {"app_id": self.app_id, "oa_id": "579745863508352884", "follower": {"id": user_id},
                    "event_name": "follow", "source": "testing_webhook", "timestamp": body["timestamp"]}
        elif text is not None or event_name.startswith("user_send_"):
            body["message"] = {"text": text or "", "msg_id": msg_id or secrets.token_hex(16)}
        return body

    def sign(self, raw: bytes, timestamp: str) -> str:
        digest = hashlib.sha256(self.app_id.encode() + raw + timestamp.encode() + self.secret_key.encode())
        return "mac=" + digest.hexdigest()

    async def deliver(self, url: str, event: Json, *, signature: str | None = None, sign: bool = True) -> int:
        """POST a signed event to the bot's webhook like Zalo does; returns the HTTP status."""
        assert self._client is not None
        sender = event.get("sender", {}).get("id")
        if sender and str(event.get("event_name", "")).startswith("user_send_"):
            self.last_wrote[str(sender)] = time.monotonic()
        raw = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if sign:
            headers["X-ZEvent-Signature"] = signature or self.sign(raw, str(event["timestamp"]))
        async with self._client.post(url, data=raw, headers=headers) as response:
            await response.read()
            self.webhook_statuses.append(response.status)
            return response.status

    # --- the OA API ------------------------------------------------------------------------------

    async def message_cs(self, request: web.Request) -> web.Response:
        """`POST /v3.0/oa/message/cs`: a customer-service message to one user."""
        token = request.headers.get("access_token", "")
        body = await request.json()
        if token not in self.valid_access:
            return self._error(body, -216, "Access token is invalid")
        problem = _check_message(body)
        if problem is not None:
            return self._error(body, *problem)
        if self.window is not None and not self._in_window(body["recipient"]["user_id"]):
            return self._error(body, -230, "User has not interacted with the OA in the past 7 days")
        message = body["message"]
        buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
        sent = Sent(body["recipient"]["user_id"], message["text"],
                    [(b["title"], b["payload"]) for b in buttons], token)
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()
        if self.on_sent is not None:
            self.on_sent(sent)
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"{next(self._msg_ids):032x}", "user_id": sent.user_id}})

    def _in_window(self, user_id: str) -> bool:
        wrote = self.last_wrote.get(user_id)
        return wrote is not None and self.window is not None and time.monotonic() - wrote <= self.window

    def refused_to(self, user_id: str) -> list[int]:
        """The error codes of the sends to a user that were refused, in order."""
        return [r["error"] for r in self.rejected if r["body"].get("recipient", {}).get("user_id") == user_id]

    def _error(self, body: Json, code: int, message: str) -> web.Response:
        self.rejected.append({"error": code, "body": body})
        return web.json_response({"error": code, "message": message})

    async def oauth_access_token(self, request: web.Request) -> web.Response:
        """`POST /v4/oa/access_token`: a new single-use refresh token and a new access token."""
        form = dict(await request.post())
        self.refreshes.append({k: str(v) for k, v in form.items()})
        if request.headers.get("secret_key") != self.app_secret:
            return _oauth_error(-14002, "Invalid secret key")
        if form.get("grant_type") != "refresh_token" or form.get("app_id") != self.app_id:
            return _oauth_error(-14003, "Invalid parameter")
        if form.get("refresh_token") != self.refresh_token or self.refresh_token in self.used_refresh:
            return _oauth_error(-14014, "Invalid refresh token")
        self.used_refresh.add(self.refresh_token)
        n = next(self._issued)
        self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"
        self.valid_access.add(self.access_token)
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})


def _check_message(body: Json) -> tuple[int, str] | None:
    """What Zalo would refuse in a `message/cs` body, or None."""
    user_id = body.get("recipient", {}).get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return -201, "recipient.user_id must be a string"
    message = body.get("message", {})
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        return -201, "message.text is empty"
    if len(text) > 2000:
        return -210, "message.text is longer than 2000 characters"
    attachment = message.get("attachment")
    if attachment is not None:
        buttons = attachment.get("payload", {}).get("buttons", [])
        if attachment.get("type") != "template" or not 1 <= len(buttons) <= 5:
            return -201, "attachment must be a template with 1 to 5 buttons"
        for button in buttons:
            if button.get("type") != "oa.query.hide" or not button.get("title") or not button.get("payload"):
                return -201, "button must be oa.query.hide with a title and a payload"
    return None


def _oauth_error(code: int, name: str) -> web.Response:
    return web.json_response({"error": code, "error_name": name, "error_reason": name, "ref_doc": "",
                              "error_description": name})
