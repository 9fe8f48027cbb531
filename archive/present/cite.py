"""Citations of an article in APA, MLA, Chicago and BibTeX, from its title,
authors, source, date and URL.

Each style's own rules for what is missing: APA writes "n.d." for no date
and moves the title first when there is no author; MLA leaves out what is
not known; Chicago writes "n.d." and, with no author, leads with the
source; BibTeX leaves the field out. Titles are kept as written (a style's
title or sentence case cannot be told from proper nouns by rule); a title
the archive made from the lede, the article having none, is given in
brackets, as the styles describe an untitled work. Text is plain: no
italics, so a citation pastes anywhere. Written here rather than with
citeproc-py, which would need CSL style and locale files kept beside it for
four short formats.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from archive.errors import ArchiveError
from archive.model import Article

STYLES = ("apa", "mla", "chicago", "bibtex")
_MLA_MONTHS = "Jan. Feb. Mar. Apr. May June July Aug. Sept. Oct. Nov. Dec.".split()
_BIBTEX_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_SMALL_WORDS = frozenset("a an and at by for from in of on or the to with".split())
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def style_name(text: str) -> str:
    """``text`` as a citation style, or an ArchiveError listing them."""
    name = text.strip().lower()
    if name not in STYLES:
        raise ArchiveError(f"{text!r} is not a citation style", hint=f"styles: {', '.join(STYLES)}")
    return name


def citation(article: Article, style: str = "apa") -> str:
    """The article cited in ``style`` (apa, mla, chicago or bibtex)."""
    return {"apa": apa, "mla": mla, "chicago": chicago, "bibtex": bibtex}[style_name(style)](
        article
    )


def apa(article: Article) -> str:
    """APA 7: Family, G. G., & Family, G. (2025, November 27). Title. Source. URL"""
    names = [_apa_name(name) for name in article.authors]
    if len(names) > 20:  # the first nineteen, an ellipsis, the last
        names = [*names[:19], "... " + names[-1]]
        authors = ", ".join(names)
    else:
        authors = _joined(names, ", ", ", & ", ", & ")  # APA: "A, & B" for two too
    when = f"({_apa_date(article.date)})."
    title = _ended(_title(article))
    lead = [_ended(authors), when, title] if authors else [title, when]
    return _spaced([*lead, _ended(article.source or ""), article.url or ""])


def mla(article: Article) -> str:
    """MLA 9: Family, Given, and Given Family. "Title." Source, 27 Nov. 2025, url."""
    names = list(article.authors)
    if len(names) > 2:
        authors = f"{_inverted(names[0])}, et al."
    else:
        authors = _joined(_listed(names), ", ", ", and ", ", and ")
    date = article.date
    when = f"{date.day} {_MLA_MONTHS[date.month - 1]} {date.year}" if date else ""
    url = re.sub(r"^https?://", "", article.url or "")
    container = ", ".join(part for part in (article.source, when, url) if part)
    return _spaced([_ended(authors), f'"{_ended(_title(article))}"', _ended(container)])


def chicago(article: Article) -> str:
    """Chicago 17 (bibliography): Family, Given, and Given Family. "Title."
    Source, November 27, 2025. URL."""
    names = list(article.authors)
    if len(names) > 10:
        names = [*names[:7], "et al."]
    authors = _joined(_listed(names), ", ", ", and ", ", and ")
    when = f"{article.date:%B} {article.date.day}, {article.date.year}" if article.date else "n.d."
    title = f'"{_ended(_title(article))}"'
    if authors:
        parts = [_ended(authors), title, _ended(", ".join(p for p in (article.source, when) if p))]
    elif article.source:
        parts = [_ended(article.source), title, _ended(when)]
    else:
        parts = [title, _ended(when)]
    return _spaced([*parts, _ended(article.url or "")])


def bibtex(article: Article) -> str:
    """A BibTeX entry: @article when the source is known (the outlet as its
    journal), else @misc; special characters escaped, the title's case kept."""
    fields = [
        ("author", " and ".join(_latex(name) for name in article.authors)),
        ("title", "{" + _latex(_title(article)) + "}"),
        ("journal", _latex(article.source or "")),
        ("year", str(article.date.year) if article.date else ""),
        ("month", _BIBTEX_MONTHS[article.date.month - 1] if article.date else ""),
        ("date", article.date.date().isoformat() if article.date else ""),
        ("url", _bibtex_url(article.url or "")),
    ]
    kind = "article" if article.source else "misc"
    lines = [f"@{kind}{{{cite_key(article)},"]
    for name, value in fields:
        if value:
            shown = value if name == "month" else "{" + value + "}"  # months are macros
            lines.append(f"  {name} = {shown},")
    return "\n".join([*lines, "}"])


def cite_key(article: Article) -> str:
    """A key that stays the same for the same article: the first author's
    family name (else the source's first word), the year, the title's first
    word that is not a small one; ASCII letters and digits only."""
    who = _family(article.authors[0]) if article.authors else (article.source or "")
    year = str(article.date.year) if article.date else "nd"
    return (_first_word(who) or "anon") + year + _first_word(article.title or "")


def _first_word(text: str) -> str:
    words = [_ascii(word) for word in text.split()]
    return next((w for w in words if w and w not in _SMALL_WORDS), "")


# -- names, titles, dates -----------------------------------------------------------


def _split(name: str) -> tuple[str, str]:
    """A name's family and given parts: "Family, Given" or "Given Family"."""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    words = name.split()
    return (words[-1], " ".join(words[:-1])) if words else ("", "")


def _family(name: str) -> str:
    return _split(name)[0]


def _inverted(name: str) -> str:
    family, given = _split(name)
    return f"{family}, {given}" if given else family


def _listed(names: list[str]) -> list[str]:
    """The first name family first, the others given first (MLA, Chicago)."""
    rest = [" ".join(part for part in reversed(_split(name)) if part) for name in names[1:]]
    return [_inverted(names[0]), *rest] if names else []


def _apa_name(name: str) -> str:
    family, given = _split(name)
    initials = " ".join(_initials(part) for part in given.split())
    return f"{family}, {initials}" if initials else family


def _initials(given: str) -> str:
    """ "Jean-Paul" -> "J.-P.", "A." -> "A."."""
    return "-".join(part[0] + "." for part in given.split("-") if part)


def _apa_date(date: datetime | None) -> str:
    return f"{date.year}, {date:%B} {date.day}" if date else "n.d."


def _title(article: Article) -> str:
    title = " ".join((article.title or "").split()) or "Untitled"
    return f"[{title}]" if article.title_derived or not article.title else title


def _joined(names: list[str], comma: str, last: str, two: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return names[0] + two + names[1]
    return comma.join(names[:-1]) + last + names[-1]


def _ended(text: str) -> str:
    """``text`` ending in a full stop (unless it ends in one, or in ? or !)."""
    text = text.strip()
    return text if not text or text[-1] in ".?!…" else text + "."


def _spaced(parts: list[str]) -> str:
    return " ".join(part for part in parts if part)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _latex(text: str) -> str:
    text = " ".join(text.split())
    return "".join(_LATEX.get(char, char) for char in text)


def _bibtex_url(url: str) -> str:
    """A URL as BibTeX reads it: braces, backslashes and spaces percent-encoded."""
    encoded = {"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"}
    return "".join(encoded.get(char, char) for char in url.strip())
