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
    telegram_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1:8080"

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
        )
