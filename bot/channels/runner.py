"""`rightsbot run`: every configured channel, the shared web server, the core's background jobs.

On SIGTERM (or Ctrl-C) the web server stops taking webhooks and lets those in progress finish,
polling stops, the channels finish the updates in flight, and then the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from aiohttp import web

from bot import event_loop
from bot.app import App
from bot.channels.webserver import WebChannel, build_web_app, start_web_server
from bot.config import Settings

log = logging.getLogger(__name__)

# The core's background jobs (the contest scheduler closes expired attempts and due rounds; the
# reload watcher follows `/reload` and `rightsbot kb reload`): module and coroutine function
# taking (App, stop event). Started when the module exists.
CORE_JOBS = (("bot.contests.scheduler", "run_scheduler"), ("bot.core.content_reload", "run_reload_watcher"))


class Channel(WebChannel, Protocol):
    """A platform adapter the runner starts and stops."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_channels(app: App, settings: Settings) -> list[Channel]:
    """The channels whose settings are present (Zalo's OA and Bot channels plug in here too)."""
    channels: list[Channel] = []
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(app, settings, transport=settings.telegram_transport))
    channels.extend(zalo_channels(app, settings))
    return channels


# --- Zalo (issue 6): the OA webhook at /zalo/oa, the Bot Platform by polling or at /zalo/bot ---

def zalo_channels(app: App, settings: Settings) -> list[Channel]:
    """The Zalo OA channel (app id + OA secret key set) and the Bot Platform channel (bot token set)."""
    channels: list[Channel] = []
    if settings.zalo_oa_enabled:
        from bot.channels.zalo_oa import ZaloOAChannel

        channels.append(ZaloOAChannel(app, settings))
    if settings.zalo_bot_enabled:
        from bot.channels.zalo_bot import ZaloBotChannel

        channels.append(ZaloBotChannel(app, settings))
    return channels


def zalo_needs_web_server(settings: Settings) -> bool:
    """The OA always arrives by webhook; the Bot Platform does when ZALO_BOT_WEBHOOK_SECRET is set."""
    return settings.zalo_oa_enabled or bool(settings.zalo_bot_enabled and settings.zalo_bot_webhook_secret)


def needs_web_server(settings: Settings) -> bool:
    """A webhook is configured, so the shared server must listen on WEBHOOK_LISTEN."""
    return bool(settings.telegram_webhook_url and settings.telegram_webhook_secret) or zalo_needs_web_server(settings)


async def run_channels(app: App, settings: Settings, channels: list[Channel] | None = None,
                       stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), then shut down gracefully."""
    channels = configured_channels(app, settings) if channels is None else channels
    stop = stop or asyncio.Event()
    _on_signals(stop.set)
    runner: web.AppRunner | None = None
    jobs = _start_core_jobs(app, stop)
    started: list[Channel] = []
    try:
        # Listen first: a channel registers its webhook at start, and the platform may post at once
        # (until the channel is running its route answers 503, which the platform retries).
        if needs_web_server(settings):
            runner = await start_web_server(build_web_app(app, channels), settings.webhook_listen)
        for channel in channels:
            await channel.start()
            started.append(channel)
        log.info("running: %s (%s event loop)", ", ".join(c.name for c in channels) or "no channel", event_loop.name())
        await stop.wait()
        log.info("stopping: finishing updates in flight")
    finally:
        if runner is not None:
            await runner.cleanup()  # stops accepting, waits for webhook requests in progress
        for channel in reversed(started):
            await _quietly(channel.stop, f"stopping {channel.name}")
        stop.set()  # the core's jobs end their current tick and return
        await asyncio.gather(*jobs, return_exceptions=True)


def _on_signals(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, callback)


def _start_core_jobs(app: App, stop: asyncio.Event) -> list[asyncio.Task[Any]]:
    tasks = []
    for module_name, function in CORE_JOBS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        entry: Callable[[App, asyncio.Event], Awaitable[Any]] | None = getattr(module, function, None)
        if entry is not None:
            tasks.append(asyncio.create_task(_quietly(partial(entry, app, stop), module_name), name=module_name))
    return tasks


async def _quietly(step: Callable[[], Awaitable[Any]], what: str) -> None:
    try:
        await step()
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - one failing part must not keep the others from stopping
        log.exception("%s failed", what)
