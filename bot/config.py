"""Settings from environment variables and an optional `.env` file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bundled(name: str) -> Path:
    """The knowledge/quizzes folder: beside the source tree, or inside an installed wheel."""
    source_tree = PROJECT_ROOT / name
    if source_tree.is_dir():
        return source_tree
    return Path(__file__).resolve().parent / "data" / name


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding what is already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip().strip('"').strip("'")
        os.environ.setdefault(key, value)


def parse_admins(raw: str) -> frozenset[str]:
    """`telegram:1001,zalo:abc` -> {"telegram:1001", "zalo:abc"}."""
    return frozenset(part.strip() for part in raw.split(",") if ":" in part.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str
    knowledge_dir: Path
    quizzes_dir: Path
    admins: frozenset[str] = field(default_factory=frozenset)
    log_level: str = "INFO"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1:8080"
    telegram_transport: str = "aiohttp"
    telegram_quiz_seconds: int = 20
    # Zalo Official Account (API v3) and Zalo Bot Platform (issue 6)
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = field(default=None, repr=False)     # checks webhook signatures
    zalo_oa_app_secret: str | None = field(default=None, repr=False)     # refreshes access tokens
    zalo_oa_access_token: str | None = field(default=None, repr=False)   # the first pair; later in the database
    zalo_oa_refresh_token: str | None = field(default=None, repr=False)
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_bot_token: str | None = field(default=None, repr=False)
    zalo_bot_api_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_bot_webhook_secret: str | None = field(default=None, repr=False)  # set: webhook at /zalo/bot
    # Reliability and privacy (issue 9)
    flood_messages: int = 20                     # per user per `flood_seconds`; 0 turns flood control off
    flood_seconds: float = 10.0
    sqlite_busy_seconds: float = 30.0            # how long a SQLite write waits for another process's lock
    retention_days: int = 365                    # personal fields of contests closed longer ago are purged
    # The broadcasts outbox (results, reminders, time-up notices), every channel's drain
    broadcast_max_attempts: int = 5              # tries per message before it is given up
    broadcast_retry_seconds: float = 30.0        # pause after a failed try

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(Path.cwd() / ".env")
        env = os.environ
        default_db = f"sqlite+aiosqlite:///{Path.cwd() / 'data' / 'rightsbot.db'}"
        return cls(
            database_url=env.get("DATABASE_URL") or default_db,
            knowledge_dir=Path(env.get("KNOWLEDGE_DIR") or _bundled("knowledge")),
            quizzes_dir=Path(env.get("QUIZZES_DIR") or _bundled("quizzes")),
            admins=parse_admins(env.get("ADMINS", "")),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            webhook_listen=env.get("WEBHOOK_LISTEN", "127.0.0.1:8080"),
            telegram_transport=env.get("TELEGRAM_TRANSPORT", "aiohttp").strip().lower(),
            telegram_quiz_seconds=int(env.get("TELEGRAM_QUIZ_SECONDS") or 20),
            zalo_oa_app_id=env.get("ZALO_OA_APP_ID") or None,
            zalo_oa_secret_key=env.get("ZALO_OA_SECRET_KEY") or None,
            zalo_oa_app_secret=env.get("ZALO_OA_APP_SECRET") or None,
            zalo_oa_access_token=env.get("ZALO_OA_ACCESS_TOKEN") or None,
            zalo_oa_refresh_token=env.get("ZALO_OA_REFRESH_TOKEN") or None,
            zalo_oa_api_base_url=(env.get("ZALO_OA_API_BASE_URL") or "https://openapi.zalo.me").rstrip("/"),
            zalo_oauth_base_url=(env.get("ZALO_OAUTH_BASE_URL") or "https://oauth.zaloapp.com").rstrip("/"),
            zalo_bot_token=env.get("ZALO_BOT_TOKEN") or None,
            zalo_bot_api_base_url=(env.get("ZALO_BOT_API_BASE_URL") or "https://bot-api.zaloplatforms.com/bot").rstrip("/"),
            zalo_bot_webhook_secret=env.get("ZALO_BOT_WEBHOOK_SECRET") or None,
            flood_messages=int(env.get("FLOOD_MESSAGES") or 20),
            flood_seconds=float(env.get("FLOOD_SECONDS") or 10),
            sqlite_busy_seconds=float(env.get("SQLITE_BUSY_SECONDS") or 30),
            retention_days=int(env.get("RETENTION_DAYS") or 365),
            broadcast_max_attempts=int(env.get("BROADCAST_MAX_ATTEMPTS") or 5),
            broadcast_retry_seconds=float(env.get("BROADCAST_RETRY_SECONDS") or 30),
        )

    @property
    def zalo_oa_enabled(self) -> bool:
        """The OA channel runs when its webhook can be verified (app id and OA secret key set)."""
        return bool(self.zalo_oa_app_id and self.zalo_oa_secret_key)

    @property
    def zalo_bot_enabled(self) -> bool:
        """The Bot Platform channel runs when a bot token is set."""
        return bool(self.zalo_bot_token)
