"""Zalo Official Account (API v3): the webhook at /zalo/oa in, `message/cs` out, over aiohttp.

Three steps per event: translate the webhook event into an `Inbound`, let the core handle it,
send the replies (buttons when there are at most 5 choices, else a numbered list).
Shapes and limits: ../shared/reference/zalo.md §1.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web

from bot import metrics
from bot.app import App
from bot.channels.broadcast_drain import BroadcastDrainer, DrainLimits
from bot.channels.http_proxy import env_proxy
from bot.channels.inflight import Inflight
from bot.channels.zalo_render import OA_MAX_BUTTONS, oa_messages, split_text, typed_pick
from bot.config import Settings
from bot.core.messages import Inbound, Reply
from bot.storage.users import last_choices
from bot.storage.zalo_tokens import load_oa_tokens, save_oa_tokens, seed_oa_tokens

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
WEBHOOK_PATH = "/zalo/oa"
TOKEN_EXPIRED = -216
REFRESH_COOLDOWN = 60.0  # seconds between refresh attempts after one failed
# Broadcasts (results, reminders, time-up notices) go out through `message/cs` too, so the OA
# may refuse one to a user who has not written within its window (e.g. -213, -230): the drain
# records the refusal and tries again a few times, then gives the message up. Zalo publishes no
# per-second rate for the OA; this stays well under what replies already do.
BROADCASTS_PER_SECOND = 10
# A signed event older than this is a replay, not a retry (Zalo retries within minutes): ignored.
# It is well inside the 7 days event ids are remembered, so no replay ever has a second effect.
MAX_EVENT_AGE = 24 * 3600.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
# A send that fails in transit (network error, timeout, HTTP 429 or 5xx) is tried again after
# these pauses; an answer from the OA API (its `error` field) is final.
SEND_BACKOFF = (0.5, 1.0, 2.0, 4.0)
# What the user sent that has no text: answered with the short help (through the core, which
# knows the user's language). Everything else (`follow`, `user_seen_message`, the OA's own
# `oa_send_*` echoes, …) is ignored, never an error.
_NON_TEXT_EVENTS = frozenset({
    "user_send_image", "user_send_sticker", "user_send_gif", "user_send_audio", "user_send_video",
    "user_send_file", "user_send_location", "user_send_link", "user_send_business_card",
})


def oa_signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Zalo's webhook signature: hex SHA-256 of app_id + raw body + timestamp + OA secret key (not an HMAC)."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()


def verify_oa_signature(header: str | None, *, app_id: str, body: bytes, timestamp: str, secret_key: str) -> bool:
    """True when the `X-ZEvent-Signature` header matches; constant-time, a leading `mac=` allowed."""
    if not header or not timestamp:
        return False
    given = header.strip().removeprefix("mac=").lower()
    return hmac.compare_digest(given.encode(), oa_signature(app_id, body, timestamp, secret_key).encode())


class OATokens:
    """The OA access token, refreshed once on -216 and persisted with its new refresh token."""

    def __init__(self, app: App, http: aiohttp.ClientSession, settings: Settings) -> None:
        assert settings.zalo_oa_app_id
        self.db = app.db
        self.http = http
        self.app_id = settings.zalo_oa_app_id
        self.app_secret = settings.zalo_oa_app_secret or ""
        self.oauth_url = f"{settings.zalo_oauth_base_url}/v4/oa/access_token"
        self.settings = settings
        self.access_token: str | None = None
        self._lock = asyncio.Lock()
        self._failed_at = 0.0

    async def load(self) -> None:
        """Seed the configured pair when the database has none, then use the database's pair."""
        async with self.db.session() as session:
            if self.settings.zalo_oa_access_token and self.settings.zalo_oa_refresh_token:
                if await seed_oa_tokens(session, app_id=self.app_id, access_token=self.settings.zalo_oa_access_token,
                                        refresh_token=self.settings.zalo_oa_refresh_token):
                    log.info("zalo_oa: stored the configured token pair (later pairs come from refreshes)")
                await session.commit()
            row = await load_oa_tokens(session, app_id=self.app_id)
        self.access_token = row.access_token if row else None
        if self.access_token is None:
            log.error("zalo_oa: NO ACCESS TOKEN (set ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN): "
                      "OA messages are received but no reply can be sent")

    async def refresh(self, stale: str) -> str | None:
        """A fresh access token after `stale` expired; None (logged loudly) when refreshing failed."""
        async with self._lock:
            if self.access_token and self.access_token != stale:
                return self.access_token
            if time.monotonic() - self._failed_at < REFRESH_COOLDOWN:
                return None
            token = await self._refresh_in_db(stale)
            if token is None:
                self._failed_at = time.monotonic()
            self.access_token = token or self.access_token
            return token

    async def _refresh_in_db(self, stale: str) -> str | None:
        """Lock the row, refresh unless another process already did, save both tokens in one commit."""
        async with self.db.session() as session:
            row = await load_oa_tokens(session, app_id=self.app_id, for_update=True)
            if row is None:
                log.error("zalo_oa: TOKEN REFRESH IMPOSSIBLE: no token pair stored; OA replies are not sent")
                return None
            if row.access_token != stale:
                return row.access_token  # another process refreshed first
            pair = await self._call_refresh(row.refresh_token)
            if pair is None:
                return None
            access, refresh, expires_in = pair
            await save_oa_tokens(session, app_id=self.app_id, access_token=access, refresh_token=refresh,
                                 expires_in=expires_in)
            await session.commit()
        log.info("zalo_oa: access token refreshed and the new pair saved")
        return access

    async def _call_refresh(self, refresh_token: str) -> tuple[str, str, int | None] | None:
        """POST the refresh token to Zalo's OAuth server; the new (access, refresh, expires_in) or None."""
        form = {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        try:
            async with self.http.post(self.oauth_url, data=form, headers={"secret_key": self.app_secret},
                                      timeout=HTTP_TIMEOUT, **env_proxy(self.oauth_url)) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.error("zalo_oa: TOKEN REFRESH FAILED (%s); OA replies are not sent, other channels keep serving",
                      type(exc).__name__)
            return None
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            error = body.get("error") if isinstance(body, dict) else None
            log.error("zalo_oa: TOKEN REFRESH REFUSED (HTTP %s, error %s); OA replies are not sent until a new "
                      "token pair is stored; other channels keep serving", response.status, error)
            return None
        expires = str(body.get("expires_in") or "")
        return str(body["access_token"]), str(body["refresh_token"]), int(expires) if expires.isdigit() else None


class OAClient:
    """Sends messages as the OA (`POST /v3.0/oa/message/cs`, token in the `access_token` header)."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings, tokens: OATokens) -> None:
        self.http = http
        self.url = f"{settings.zalo_oa_api_base_url}/v3.0/oa/message/cs"
        self.tokens = tokens

    async def send(self, user_id: str, message: dict[str, Any]) -> bool:
        """Send one message to a user; on an expired token refresh once and retry once."""
        token = self.tokens.access_token
        if token is None:
            return False
        error = await self._post_retrying(token, user_id, message)
        if error == TOKEN_EXPIRED:
            fresh = await self.tokens.refresh(stale=token)
            if fresh is None:
                return False
            error = await self._post_retrying(fresh, user_id, message)
        if error != 0:
            log.warning("zalo_oa: message not sent: error %s", error)
        return error == 0

    async def _post_retrying(self, token: str, user_id: str, message: dict[str, Any]) -> int | None:
        """`_post`, tried again with backoff while the request fails in transit."""
        for pause in (*SEND_BACKOFF, None):
            error = await self._post(token, user_id, message)
            if error is not None or pause is None:
                return error
            log.info("zalo_oa: send failed in transit, retrying in %.1f s", pause)
            await asyncio.sleep(pause)
        return None

    async def _post(self, token: str, user_id: str, message: dict[str, Any]) -> int | None:
        """The OA's `error` field (0 = sent), or None when the request failed in transit (network
        error, timeout, HTTP 429 or 5xx, a body that is not JSON)."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        try:
            async with self.http.post(self.url, json=body, headers={"access_token": token},
                                      timeout=HTTP_TIMEOUT, **env_proxy(self.url)) as response:
                if response.status == 429 or response.status >= 500:
                    log.warning("zalo_oa: send failed: HTTP %d", response.status)
                    return None
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            metrics.api_error(CHANNEL, "network")
            log.warning("zalo_oa: send failed: %s", type(exc).__name__)
            return None
        error = int(answer.get("error", -1)) if isinstance(answer, dict) else None
        if error != 0:
            metrics.api_error(CHANNEL, "invalid" if error is None else error)
        return error


class ZaloOAChannel:
    """The OA channel: verifies and answers webhooks, handles events after the response."""

    name = CHANNEL

    def __init__(self, app: App, settings: Settings) -> None:
        assert settings.zalo_oa_app_id and settings.zalo_oa_secret_key
        self.app = app
        self.settings = settings
        self.app_id = settings.zalo_oa_app_id
        self.secret_key = settings.zalo_oa_secret_key
        self.inflight = Inflight(CHANNEL)
        self._http: aiohttp.ClientSession | None = None
        self.client: OAClient | None = None
        self.broadcasts: BroadcastDrainer | None = None

    def add_routes(self, web_app: web.Application) -> None:
        """Serve the webhook at /zalo/oa on the shared server."""
        web_app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def start(self) -> None:
        """Open the HTTP session and load the token pair (seeded from the environment the first time)."""
        self._http = aiohttp.ClientSession()   # proxy: env_proxy() per request
        tokens = OATokens(self.app, self._http, self.settings)
        await tokens.load()
        self.client = OAClient(self._http, self.settings, tokens)
        self.broadcasts = BroadcastDrainer(self.app.db, CHANNEL, self._send_broadcast, split_text,
                                           DrainLimits.from_settings(self.settings, per_second=BROADCASTS_PER_SECOND))
        self.broadcasts.start()
        log.info("zalo_oa: webhook ready at %s", WEBHOOK_PATH)

    async def healthy(self) -> bool:
        """For /healthz: started. A failed token refresh does not count: other channels keep serving."""
        return self.client is not None

    async def stop(self) -> None:
        """Settle the broadcasts under way, finish the events in progress, then close the HTTP session."""
        if self.broadcasts is not None:
            await self.broadcasts.stop()
        await self.inflight.drain()
        if self._http is not None:
            await self._http.close()

    async def webhook(self, request: web.Request) -> web.Response:
        """Answer 200 at once to a correctly signed event (handled afterwards); 403 to anything else."""
        if self.client is None:
            return web.Response(status=503, text="starting")  # Zalo retries; the event is not lost
        body = await request.read()
        event = _json_object(body)
        timestamp = str(event.get("timestamp", "")) if event else ""
        if event is None or not verify_oa_signature(request.headers.get("X-ZEvent-Signature"), app_id=self.app_id,
                                                    body=body, timestamp=timestamp, secret_key=self.secret_key):
            log.warning("zalo_oa: webhook with a bad or missing signature refused")
            return web.Response(status=403, text="forbidden")
        if _age_seconds(timestamp) > MAX_EVENT_AGE:
            log.warning("zalo_oa: a signed event more than a day old ignored (a replay)")
            return web.Response(text="ok")
        sender = _sender_id(event)
        if sender is not None:
            self.inflight.spawn(sender, self.handle_event(event))
        return web.Response(text="ok")

    async def handle_event(self, event: dict[str, Any]) -> None:
        """One event: translate, call the core, send the replies."""
        inbound = await self.translate(event)
        if inbound is None:
            return
        kind = "button" if inbound.payload else metrics.message_kind(inbound.text)
        with metrics.handling(CHANNEL, kind):
            replies = await self.app.dialogue.handle(inbound)
            await self.send_replies(inbound.user_id, replies)

    async def translate(self, event: dict[str, Any]) -> Inbound | None:
        """The core's view of a user's event, or None for events we ignore."""
        name = str(event.get("event_name", ""))
        sender = _sender_id(event)
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        assert isinstance(message, dict)
        if sender is None or not (name == "user_send_text" or name in _NON_TEXT_EVENTS):
            return None
        # Retries resend the same body, so events without a msg_id get an id from what they carry.
        event_id = str(message.get("msg_id") or f"{name}:{sender}:{event.get('timestamp', '')}")
        if name != "user_send_text":
            return Inbound(CHANNEL, sender, sender, text="/help", event_id=event_id)
        text = str(message.get("text") or "")
        payload = await self._typed_number(sender, text)
        # An `oa.query.hide` press arrives as a text equal to its payload: the core takes a text
        # equal to one of the choices it showed this user last as that press.
        may_be_press = payload is None and 0 < len(text) <= 64 and " " not in text
        return Inbound(CHANNEL, sender, sender, text="" if payload else text, payload=payload, event_id=event_id,
                       text_may_be_press=may_be_press)

    async def _typed_number(self, user_id: str, text: str) -> str | None:
        """The choice a typed number picks: with more than 5 choices we showed a numbered list
        instead of buttons (the core's own number picking comes after forms and quizzes)."""
        if not text.strip().isdecimal() or len(text) > 64:
            return None
        async with self.app.db.session() as session:
            payloads = await last_choices(session, platform=CHANNEL, platform_user_id=user_id)
        return typed_pick(text, payloads) if len(payloads) > OA_MAX_BUTTONS else None

    async def _send_broadcast(self, user_id: str, text: str) -> bool:
        """One part of a queued broadcast (≤ 2,000 characters), as a plain `message/cs` text."""
        return self.client is not None and await self.client.send(user_id, {"text": text})

    async def send_replies(self, user_id: str, replies: list[Reply]) -> None:
        """Send the replies in order; a part that fails is logged and the rest still go out."""
        if self.client is None:
            return
        first = 1  # lists are numbered across the turn, as the core stores the choices
        for reply in replies:
            for message in oa_messages(reply, first):
                await self.client.send(user_id, message)
            first += len(reply.choices)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _age_seconds(timestamp: str) -> float:
    """How old an event is by its `timestamp` (milliseconds since the epoch); 0 when unreadable."""
    try:
        return time.time() - int(timestamp) / 1000
    except ValueError:
        return 0.0


def _sender_id(event: dict[str, Any]) -> str | None:
    """The user's id as text: `sender.id`, or `follower.id` on follow events (never parsed as a number)."""
    for key in ("sender", "follower"):
        part = event.get(key)
        if isinstance(part, dict) and part.get("id") not in (None, ""):
            return str(part["id"])
    return None
