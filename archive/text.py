"""Turn the raw text of a scraped article into a title and a clean body.

Scrapes carry real flaws: bodies pasted twice, "Also Read:" links to other
stories, no title line, stray whitespace. Cleaning removes those and nothing
else; it never drops a paragraph that appears only once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from archive.model import Cleaning

# A headline is one short line: no more than this, and not a sentence run-on.
HEADLINE_MAX_CHARS = 150
HEADLINE_MAX_WORDS = 24
# A title derived from a lede is cut to about this many characters.
DERIVED_TITLE_CHARS = 90
# A repeated paragraph with at least this many words is always a duplicate;
# shorter repeats (subheadings, table rows) go only with a repeated run.
SUBSTANTIAL_WORDS = 8
# Hard-wrapped lines are at most this long (scrapes put a paragraph on a line),
# and most of them (NEAR_SHARE) end within NEAR_WIDTH of the longest or go
# on in lower case on the next line.
WRAPPED_MAX_CHARS = 100
NEAR_WIDTH = 0.75
NEAR_SHARE = 0.6

# C1 control characters are never news text: they are Windows-1252 bytes that
# were decoded as Latin-1 (0x92 is a curly apostrophe, 0x96 an en dash).
_C1 = re.compile("[\x80-\x9f]")
_INVISIBLE = dict.fromkeys(map(ord, "\x00\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[^\S\n]+")  # runs of horizontal whitespace, nbsp included
_BLANK_LINES = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_LINK_PREFIX = r"""(?:also\s+read|read\s+also|read\s+more|more\s+to\s+read|read\s+next|must\s+read
    |related(?:\s+(?:stories|story|articles?|news|coverage|reading))?|see\s+also
    |recommended(?:\s+stories)?|more\s+from\s+[\w .]+|don[’']t\s+miss|watch)"""
# "Also Read: ...", "READ MORE - ...", "Related: ..." standing alone on a line.
_LINK_LINE = re.compile(rf"^{_LINK_PREFIX}\s*[:：|»>–—-]\s*\S.*$", re.IGNORECASE | re.VERBOSE)
# These prefixes never begin real prose, so such lines go wherever they stand.
_LINK_ANYWHERE = re.compile(
    r"^(?:also\s+read|read\s+also|read\s+more)\s*[:：|»>–—-]\s*\S", re.IGNORECASE
)
# Words a cut title should not end on.
_DANGLING = frozenset(
    "a an the of in on at to for from by with and or but as that which who is are was were "
    "has have had will would could should its their his her".split()
)


@dataclass(frozen=True)
class CleanText:
    title: str
    body: str
    cleaning: Cleaning
    title_derived: bool


def normalize(raw: str, indents: bool = False) -> str:
    """Unicode NFC, Unix newlines, no invisible characters, single spaces
    (``indents``: a line's leading whitespace is kept, as one space)."""
    text = _C1.sub(_from_cp1252, raw)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line) for line in text.translate(_INVISIBLE).split("\n")]
    if indents:
        return "\n".join(line.rstrip() for line in lines).strip("\n")
    return "\n".join(line.strip() for line in lines).strip()


def _from_cp1252(match: re.Match[str]) -> str:
    return bytes([ord(match.group())]).decode("cp1252", errors="ignore")


def paragraphs(text: str, titled: bool = False) -> list[str]:
    """Split text (normalized with its indents kept) into paragraphs.

    Blank lines separate blocks. Inside a block each line is a paragraph
    (scrapes put one paragraph per line), unless the block is hard-wrapped
    prose: then its lines are joined into paragraphs (``_unwrap``). ``titled``:
    the title is known apart, so the first line is text, never a headline.
    """
    result: list[str] = []
    for block in _BLANK_LINES.split(text):
        lines = [line for line in block.split("\n") if line.strip()]
        if _hard_wrapped(lines):
            result.extend(_unwrap(lines, titled))
        else:
            result.extend(line.strip() for line in lines)
    return result


def _hard_wrapped(lines: list[str]) -> bool:
    """Short lines that mark their paragraphs with indents (Reuters), or that
    mostly end near the same width."""
    body = [line.strip() for line in lines[:-1]]
    if not body or any(len(line) > WRAPPED_MAX_CHARS for line in body):
        return False
    if _indent_marks_paragraphs(lines):
        return True
    width = max(map(len, body))
    runs_on = [line.strip()[0].islower() for line in lines[1:]]
    wrapped = sum(
        1
        for line, lower in zip(body, runs_on, strict=True)
        if lower or len(line) >= max(30, NEAR_WIDTH * width)
    )
    return any(runs_on) and wrapped >= NEAR_SHARE * len(body)


def _indent_marks_paragraphs(lines: list[str]) -> bool:
    """Whether some line after the first is indented and another line is not."""
    indented = [line[0] == " " for line in lines]
    return any(indented[1:]) and not all(indented)


def _unwrap(lines: list[str], titled: bool) -> list[str]:
    """Hard-wrapped lines joined into paragraphs.

    With indents, an indented line starts a paragraph and every other line
    goes on the one before. Without, a line starts a paragraph when its first
    word would have fitted on the line before (that line was ended by hand),
    unless it begins in lower case. The first line of a body whose title is
    known apart is often short for another reason (Reuters cut its dateline):
    it goes on unless it ends a sentence.
    """
    indents = _indent_marks_paragraphs(lines)
    stripped = [line.strip() for line in lines]
    width = max(map(len, stripped[:-1]))
    paras: list[list[str]] = [[]]
    for n, line in enumerate(stripped):
        if n == 0:
            starts = False
        elif indents:
            starts = lines[n][0] == " "
        elif n == 1 and titled and not _ends_sentence(stripped[0]):
            starts = False
        else:
            starts = _ended_by_hand(stripped[n - 1], line, width)
        if starts:
            paras.append([])
        paras[-1].append(line)
    return [" ".join(para) for para in paras]


def _ended_by_hand(line: str, following: str, width: int) -> bool:
    if following[0].islower():
        return False
    return len(line) + 1 + len(following.split(" ", 1)[0]) <= width


def _ends_sentence(line: str) -> bool:
    return line.rstrip("\"'”’)").endswith((".", "!", "?", ":"))


def looks_like_headline(line: str) -> bool:
    """A headline is short, has few words and is not two sentences."""
    if len(line) > HEADLINE_MAX_CHARS or len(line.split()) > HEADLINE_MAX_WORDS:
        return False
    if _SENTENCE_END.search(line):
        return False
    return not (line.endswith(".") and len(line) > 100)


def derive_title(lede: str) -> str:
    """A short title from the first sentence of the lede, never a paragraph."""
    first = _SENTENCE_END.split(lede, maxsplit=1)[0].strip()
    if len(first) <= DERIVED_TITLE_CHARS:
        return first.rstrip(".")
    words = first[: DERIVED_TITLE_CHARS + 1].rsplit(" ", 1)[0].split(" ")
    while len(words) > 3 and words[-1].casefold().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—") + "…"


def drop_repeats(paras: list[str]) -> tuple[list[str], list[str]]:
    """Keep each repeated paragraph once.

    A later verbatim copy is dropped when it is substantial, or when it sits in a
    run of copies that contains a substantial one (a whole body pasted twice,
    subheadings and all). An isolated short repeat is real content and stays.
    """
    seen: set[str] = set()
    repeat = []
    for para in paras:
        key = para.casefold()
        repeat.append(key in seen)
        seen.add(key)

    keep = [True] * len(paras)
    i = 0
    while i < len(paras):
        if not repeat[i]:
            i += 1
            continue
        j = i
        while j < len(paras) and repeat[j]:
            j += 1
        if any(len(paras[k].split()) >= SUBSTANTIAL_WORDS for k in range(i, j)):
            keep[i:j] = [False] * (j - i)
        i = j
    kept = [p for p, k in zip(paras, keep, strict=True) if k]
    dropped = [p for p, k in zip(paras, keep, strict=True) if not k]
    return kept, dropped


def drop_link_lines(paras: list[str]) -> tuple[list[str], list[str]]:
    """Remove lines that point to other stories: trailing ones, and "Also Read:" anywhere."""
    end = len(paras)
    while end > 0 and _LINK_LINE.match(paras[end - 1]) and len(paras[end - 1]) < 300:
        end -= 1
    kept: list[str] = []
    dropped = paras[end:]
    for para in paras[:end]:
        is_link = _LINK_ANYWHERE.match(para) and len(para) < 300
        (dropped if is_link else kept).append(para)
    return kept, dropped


def clean_body(raw: str) -> tuple[str, Cleaning]:
    """Clean an article body whose title is known separately."""
    paras, links = drop_link_lines(paragraphs(normalize(raw, indents=True), titled=True))
    paras, repeats = drop_repeats(paras)
    cleaning = Cleaning(
        duplicate_paragraphs=len(repeats),
        link_lines=len(links),
        chars_removed=sum(map(len, repeats + links)),
    )
    return "\n\n".join(paras), cleaning


def clean_title(raw: str) -> str:
    """A title on one line, with stray whitespace and control characters gone."""
    return " ".join(normalize(raw).split())


def clean_article(raw: str) -> CleanText:
    """Split raw text into title and body and clean the body.

    The first line is the title when it reads like a headline; otherwise the
    title is derived from the lede and the lede stays in the body.
    """
    paras = paragraphs(normalize(raw, indents=True))
    title_derived = not (len(paras) > 1 and looks_like_headline(paras[0]))
    if not title_derived:
        title, paras = paras[0], paras[1:]
    paras, links = drop_link_lines(paras)
    paras, repeats = drop_repeats(paras)
    if title_derived:
        title = derive_title(paras[0]) if paras else ""
    cleaning = Cleaning(
        duplicate_paragraphs=len(repeats),
        link_lines=len(links),
        chars_removed=sum(map(len, repeats + links)),
    )
    body = "\n\n".join(paras)
    return CleanText(title=title, body=body, cleaning=cleaning, title_derived=title_derived)
