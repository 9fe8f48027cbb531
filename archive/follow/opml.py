"""OPML, the list of feeds every feed reader imports and exports."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from archive.errors import ArchiveError
from archive.follow.table import Source

MAX_OPML_BYTES = 8 * 2**20


def read(path: Path) -> list[tuple[str, str | None]]:
    """The feeds an OPML file lists: (URL, title), outlines nested at any depth."""
    import lxml.etree

    try:
        data = path.read_bytes()
    except OSError as err:
        raise ArchiveError(f"cannot read {path}: {err.strerror}") from None
    if len(data) > MAX_OPML_BYTES:
        raise ArchiveError(f"{path} is larger than {MAX_OPML_BYTES // 2**20} MB: not an OPML list")
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError as err:
        raise ArchiveError(f"{path} is not readable OPML: {err}") from None
    found: list[tuple[str, str | None]] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url and url not in [u for u, _ in found]:
            title = outline.get("title") or outline.get("text")
            found.append((url, title.strip() if title and title.strip() else None))
    return found


def write(sources: list[Source]) -> str:
    """An OPML document listing the sources."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>news-archive sources</title></head>",
        "  <body>",
    ]
    for source in sources:
        name = quoteattr(source.name)
        lines.append(
            f'    <outline type="rss" text={name} title={name} xmlUrl={quoteattr(source.url)}/>'
        )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
