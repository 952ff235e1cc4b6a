"""The proxy for an outgoing request, as the environment names it (HTTPS_PROXY, NO_PROXY).

Looked up once per scheme and host. aiohttp's `trust_env=True` does the same lookup, and reads
~/.netrc, on a worker thread for every request: two thread hand-offs that cost more than a
request to the Bot API itself. Pass `**env_proxy(url)` to `ClientSession.request` instead.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL


def env_proxy(url: str) -> dict[str, Any]:
    """`proxy` and `proxy_auth` for `url` (both None where the environment sets no proxy or NO_PROXY covers it)."""
    target = URL(url)
    proxy, auth = _for_origin(target.scheme, target.host or "")
    return {"proxy": proxy, "proxy_auth": auth}


@lru_cache(maxsize=64)
def _for_origin(scheme: str, host: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    try:
        return get_env_proxy_for_url(URL.build(scheme=scheme, host=host))
    except LookupError:
        return None, None
