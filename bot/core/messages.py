"""The boundary between channels and the core: what comes in and what goes out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inbound:
    """One thing a user did: typed text, or pressed a button (then `payload` is set)."""

    channel: str                    # telegram | zalo_oa | zalo_bot | console
    user_id: str                    # the platform's user id, always as text
    chat_id: str
    text: str = ""
    payload: str | None = None      # a button press: the compact payload of a Choice
    event_id: str | None = None     # the platform's update/message id, for de-duplication
    language: str | None = None     # the platform's language hint (Telegram language_code)
    is_group: bool = False
    # Quick replies that arrive as text (Zalo OA's `oa.query.hide`): a text equal to one of the
    # choices shown to this user last is that button's press. The core checks it against the
    # stored choices inside the turn's own transaction.
    text_may_be_press: bool = False

    @property
    def user_key(self) -> str:
        """`channel:user_id`, the form ADMINS uses."""
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Choice:
    """A button: a short label and a compact ASCII payload (Telegram allows 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a spreadsheet, a chart, a report.

    Channels that can upload send it (an image as a photo, anything else as a document); the
    others say where to get it instead.
    """

    filename: str
    data: bytes = field(repr=False)
    mime: str
    caption: str = ""

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


@dataclass(frozen=True)
class Reply:
    """Text plus optional choices and files; each channel renders them as it can."""

    text: str
    choices: tuple[Choice, ...] = ()
    kind: str = "info"              # answer | suggest | none | smalltalk | info | question | error
    source: str | None = None
    edit_key: str | None = None     # replies with the same key may edit one message in place
    extra: dict[str, str] = field(default_factory=dict)
    files: tuple[Attachment, ...] = ()
    # Every choice's payload starts with this, and its handler checks a press against the
    # database (quiz answers: whose attempt, which question, still open). The dialogue then
    # remembers the prefix rather than each question's payloads: no write per answer. Replies
    # with one prefix share one edit_key, so a pressed button with the prefix was on the
    # message that carries the key (a channel can edit it with no look-up).
    choices_prefix: str | None = None
