"""`python -m bot.healthcheck`: exit 0 when this container's `/healthz` answers 200 (Docker HEALTHCHECK).

It asks the shared web server on WEBHOOK_LISTEN's port over loopback. With no webhook configured
(long polling only) the process serves no HTTP, so there is nothing to ask and it reports healthy.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from bot.channels.runner import needs_web_server
from bot.channels.webserver import parse_listen
from bot.config import Settings

TIMEOUT = 8.0


def main() -> int:
    settings = Settings.from_env()
    if not needs_web_server(settings):
        print("no web server (long polling): nothing to check")
        return 0
    host, port = parse_listen(settings.webhook_listen)
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - loopback only
            print(response.read().decode("utf-8", "replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:      # 503: the body names the failing check
        print(exc.read().decode("utf-8", "replace"))
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {type(exc).__name__}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
