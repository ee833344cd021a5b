"""The neutral message model: what the core says, before any platform renders it.

A :class:`Message` is a sequence of elements. Texts written by people (contributions, author
names) travel as :class:`Entry` or with ``user=True`` so every renderer knows to defuse them.
Renderers (Block Kit, Adaptive Cards, terminal text) live in the adapters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.domain import ForumInfo
    from bot.inbound import Form


@dataclass(frozen=True)
class Header:
    """A title line; level 2 is a heading inside a message (a digest's theme)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Running text; ``user`` marks text written by a person, which must be defused."""

    text: str
    user: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short items (the theme's questions)."""

    items: tuple[str, ...]
    title: str | None = None


@dataclass(frozen=True)
class LinkItem:
    """A labelled link."""

    label: str
    url: str


@dataclass(frozen=True)
class Links:
    """Several links in a row."""

    links: tuple[LinkItem, ...]


@dataclass(frozen=True)
class Entry:
    """A good practice quoted in a digest or a list: always user text."""

    author: str
    text: str
    link: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class Note:
    """Small print: how to take part, counts, dates."""

    text: str


@dataclass(frozen=True)
class Divider:
    """A visual break between sections."""


@dataclass(frozen=True)
class Button:
    """An action the reader can take; ``action`` is a stable id the adapters route on."""

    action: str
    label: str
    value: str = ""
    primary: bool = False


@dataclass(frozen=True)
class Actions:
    """A row of buttons."""

    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Picture:
    """A picture by its public URL (the year wheel); ``alt`` says what it shows."""

    url: str
    alt: str


Element = Header | Paragraph | Bullets | Links | Entry | Note | Divider | Actions | Picture


@dataclass(frozen=True)
class PostFile:
    """A small file that goes with a post (a meeting's ``.ics`` invitation).

    Slack uploads *data* with the post; a platform that cannot take files with a post links to
    *link* (a public address of the same content) or, lacking one, to the data itself.
    """

    filename: str
    data: bytes
    media_type: str
    title: str
    link: str | None = None


@dataclass(frozen=True)
class Message:
    """Something the bot says.

    ``kind`` names the message ("theme", "digest", "help", ...); ``fallback`` is a short plain
    summary for notifications and clients that cannot show rich content; ``metadata`` lets a
    platform tag the post (Slack message metadata); ``files`` go with the post (:class:`PostFile`).
    """

    kind: str
    fallback: str
    elements: tuple[Element, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    files: tuple[PostFile, ...] = ()


@dataclass(frozen=True)
class FileAttachment:
    """A file delivered privately (data exports)."""

    filename: str
    content: str
    title: str


@dataclass(frozen=True)
class PictureFile:
    """A picture delivered privately as a file (the year wheel, where no public URL serves it)."""

    filename: str
    data: bytes
    title: str


@dataclass(frozen=True)
class Notification:
    """A private message to someone other than the person answered (a saved message's author)."""

    user_id: str
    message: Message


@dataclass
class Reply:
    """What the core answers to a person's command.

    ``private`` goes only to that person, ``public`` to the channel or thread they wrote in;
    ``form`` asks the adapter to open a form for them (:data:`bot.inbound.Form`); ``files`` are
    delivered privately; ``notify`` goes privately to other people (a direct message).
    ``forum`` is the forum the answer concerns, when there is one (cards carry its id).
    """

    private: list[Message] = field(default_factory=list)
    public: list[Message] = field(default_factory=list)
    form: Form | None = None
    files: list[FileAttachment] = field(default_factory=list)
    notify: list[Notification] = field(default_factory=list)
    forum: ForumInfo | None = None
    # Uploaded privately where the platform takes files (Slack); elsewhere the answer's
    # Picture element by URL, or nothing, shows the year wheel.
    pictures: list[PictureFile] = field(default_factory=list)


def plain_text(message: Message) -> str:
    """A message as plain text lines (the console, logs in tests, Teams fallbacks)."""
    lines: list[str] = []
    for element in message.elements:
        match element:
            case Header(text=text, level=level):
                lines.append(text)
                lines.append(("=" if level == 1 else "-") * min(len(text), 60))
            case Paragraph(text=text):
                lines.append(text)
            case Bullets(items=items, title=title):
                if title:
                    lines.append(title)
                lines.extend(f"  • {item}" for item in items)
            case Links(links=links):
                lines.extend(f"  → {link.label}: {link.url}" for link in links)
            case Entry(author=author, text=text, link=link, when=when):
                head = f"  — {author}" + (f" ({when})" if when else "")
                lines.append(head)
                lines.extend(f"    {line}" for line in text.splitlines() or [""])
                if link:
                    lines.append(f"    {link}")
            case Note(text=text):
                lines.append(f"({text})")
            case Divider():
                lines.append("")
            case Actions(buttons=buttons):
                lines.append("  ".join(f"[{button.label}]" for button in buttons))
            case Picture(url=url, alt=alt):
                lines.append(f"  → {alt}: {url}")
    lines.extend(f"  → {file.title}: {file.link or file.filename}" for file in message.files)
    return "\n".join(lines)


def pieces(text: str, limit: int) -> Iterator[str]:
    """*text* cut into pieces of at most *limit* characters, at line or word breaks.

    Every platform renderer cuts long paragraphs to its own limit with this one rule.
    """
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        yield rest[:cut]
        rest = rest[cut:].lstrip("\n ")
    if rest:
        yield rest
