"""The one aiohttp web server: every channel's webhook routes plus `/healthz` and `/metrics`.

Channels bring their own routes (`add_routes(web_app)`), so Zalo's `/zalo/oa` and `/zalo/bot`
plug in beside Telegram's path without touching this module. A channel with a `healthy()`
coroutine is part of `/healthz`. `/metrics` is the Prometheus exposition of `bot/metrics.py`.
Neither is meant for the internet: the TLS proxy forwards only the webhook paths (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bot import metrics
from bot.app import App
from bot.storage.broadcasts import queue_depth

log = logging.getLogger(__name__)

CORE = web.AppKey("core", App)
CHANNELS: web.AppKey[tuple[WebChannel, ...]] = web.AppKey("channels", tuple)
HEALTH_TIMEOUT = 5.0


class WebChannel(Protocol):
    """What the web server needs from a channel."""

    def add_routes(self, web_app: web.Application) -> None: ...


def verify_secret(given: str | None, expected: str | None) -> bool:
    """Compare a webhook secret in constant time; no expected secret means nothing passes."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def build_web_app(core: App, channels: Sequence[WebChannel]) -> web.Application:
    """The aiohttp application: `/healthz` and each channel's webhook routes."""
    application = web.Application(client_max_size=1024 * 1024)
    application[CORE] = core
    application[CHANNELS] = tuple(channels)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/metrics", metrics_view)
    for channel in channels:
        channel.add_routes(application)
    return application


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and every channel is up, else 503; the body names each check."""
    core = request.app[CORE]
    checks = {"database": await core.db.ping()}
    for channel in request.app[CHANNELS]:
        checks[_name(channel)] = await _checked(channel)
    ok = all(checks.values())
    return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)


async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus text format; the database-held figures (broadcast queue) are read now."""
    core = request.app[CORE]
    try:
        async with core.db.session() as session:
            depth = await asyncio.wait_for(queue_depth(session), HEALTH_TIMEOUT)
        for channel in {*depth, *(labels[0] for labels in _queue_channels())}:
            metrics.BROADCAST_QUEUE.labels(channel).set(depth.get(channel, 0))
    except Exception:  # noqa: BLE001 - the other metrics are still worth serving
        log.warning("metrics: broadcast queue depth not read")
    checked_out = getattr(core.db.engine.pool, "checkedout", None)
    if callable(checked_out):
        metrics.DB_POOL_IN_USE.set(checked_out())
    body, content_type = metrics.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


def _queue_channels() -> list[tuple[str, ...]]:
    """The channels the queue gauge already has (a drained channel must go back to 0, not vanish)."""
    return [tuple(sample.labels.values()) for family in metrics.BROADCAST_QUEUE.collect()
            for sample in family.samples if sample.labels]


async def _checked(channel: WebChannel) -> bool:
    healthy = getattr(channel, "healthy", None)
    if healthy is None:
        return True
    try:
        return bool(await asyncio.wait_for(healthy(), HEALTH_TIMEOUT))
    except Exception:  # noqa: BLE001 - a failing check is simply "not healthy"
        log.warning("health check of %s failed", _name(channel))
        return False


def _name(channel: object) -> str:
    return str(getattr(channel, "name", None) or getattr(channel, "CHANNEL", None) or type(channel).__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (WEBHOOK_LISTEN) → (host, port); `:8080` listens on every interface."""
    host, _, port = listen.rpartition(":")
    return host or "0.0.0.0", int(port)


async def start_web_server(application: web.Application, listen: str) -> web.AppRunner:
    """Serve the application on WEBHOOK_LISTEN; clean up the returned runner to stop."""
    runner = web.AppRunner(application, access_log=None, shutdown_timeout=30.0)
    await runner.setup()
    host, port = parse_listen(listen)
    await web.TCPSite(runner, host, port).start()
    log.info("web server listening on %s:%d", host, port)
    return runner
