"""Cleaning and title rules, on the real seed articles and on small cases."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import FIXTURES, SEED_000, SEED_001, SEEDS

from archive.text import clean_article, clean_body, derive_title, looks_like_headline


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def test_seed_000_keeps_its_headline_and_each_paragraph_once() -> None:
    clean = clean_article(seed(SEED_000))
    assert clean.title == (
        "Russia Seeks Starting Point for Peace Talks Amid Ongoing Ukraine Conflict"
    )
    assert not clean.title_derived
    paragraphs = clean.body.split("\n\n")
    assert len(paragraphs) == len(set(paragraphs)) == 6
    assert clean.body.count("Institute for the Study of War") == 1
    assert clean.cleaning.duplicate_paragraphs == 6
    assert clean.cleaning.link_lines == 0
    assert clean.body.endswith("despite diplomatic efforts.")


def test_seed_000_loses_no_sentence_of_the_original() -> None:
    raw_lines = {line.strip() for line in seed(SEED_000).splitlines() if line.strip()}
    clean = clean_article(seed(SEED_000))
    kept = set(clean.body.split("\n\n")) | {clean.title}
    assert kept == raw_lines


def test_seed_001_title_is_derived_from_the_lede_not_a_paragraph() -> None:
    clean = clean_article(seed(SEED_001))
    first_line = seed(SEED_001).splitlines()[0]
    assert len(first_line) > 300
    assert clean.title_derived
    assert clean.title.startswith("Russian President Vladimir Putin on Thursday asserted")
    assert len(clean.title) <= 91
    assert clean.title.endswith("…")
    assert not clean.title.rstrip("…").endswith((" in", " the", " for"))
    assert clean.body.startswith(first_line)  # the lede stays in the body


def test_seed_001_drops_the_also_read_link_and_trailing_blanks() -> None:
    clean = clean_article(seed(SEED_001))
    assert "Also Read" not in clean.body
    assert "Beckstrom" not in clean.body
    assert clean.cleaning.link_lines == 1
    assert clean.body.endswith("after discussions with both the sides.")
    assert clean.body == clean.body.strip()


def test_seed_001_subheadings_stay_in_the_text() -> None:
    paragraphs = clean_article(seed(SEED_001)).body.split("\n\n")
    assert "Russia ready for serious talks: Putin" in paragraphs
    assert "Peace talks to begin soon" in paragraphs


def test_short_repeated_lines_are_real_content_and_stay() -> None:
    raw = (
        "Quarterly results\n\nNet profit rose\n\nRevenue grew in every region of the group "
        "this quarter, the company said.\n\nNet profit rose\n"
    )
    clean = clean_article(raw)
    assert clean.body.count("Net profit rose") == 2
    assert clean.cleaning.duplicate_paragraphs == 0


def test_a_body_pasted_twice_loses_its_repeated_subheadings_too() -> None:
    body = (
        "The council met on Monday to discuss the new budget for the coming year.\n"
        "Budget talks\n"
        "Members argued for three hours before agreeing on a compromise plan.\n"
    )
    clean = clean_article("Council agrees budget\n" + body + body)
    assert clean.body.split("\n\n") == [line for line in body.splitlines()]
    assert clean.cleaning.duplicate_paragraphs == 3


def test_link_lines_only_go_when_they_trail_or_say_also_read() -> None:
    raw = (
        "Storm hits coast\n\nRelated: the storm was the strongest in a decade, officials said.\n\n"
        "READ MORE: Another story entirely\n\nThe last real paragraph of the story.\n\n"
        "Related: Floods in the north\nSee also - Weather warnings"
    )
    clean = clean_article(raw)
    assert "strongest in a decade" in clean.body
    assert "Another story" not in clean.body
    assert "Floods in the north" not in clean.body and "Weather warnings" not in clean.body
    assert clean.body.endswith("The last real paragraph of the story.")
    assert clean.cleaning.link_lines == 3


def test_stray_whitespace_and_invisible_characters_go() -> None:
    clean = clean_article("Title  here \r\n\r\n  Body\u00a0 text\u200b with   gaps.  \t\n\n\n")
    assert clean.title == "Title here"
    assert clean.body == "Body text with gaps."


def test_hard_wrapped_paragraphs_stay_together() -> None:
    raw = (
        "Grain exports rise\n\n"
        "Grain exports rose sharply in the third quarter as harvests\n"
        "recovered from the drought of the previous year, according to\n"
        "figures published by the ministry on Tuesday morning.\n\n"
        "Officials expect the trend to continue.\n"
    )
    paragraphs = clean_article(raw).body.split("\n\n")
    assert paragraphs == [
        "Grain exports rose sharply in the third quarter as harvests recovered from the "
        "drought of the previous year, according to figures published by the ministry on "
        "Tuesday morning.",
        "Officials expect the trend to continue.",
    ]


def test_headline_rule() -> None:
    assert looks_like_headline("Ad sales boost Time Warner profit")
    assert looks_like_headline("Is this the end of the affair?")
    assert not looks_like_headline("Putin spoke. Then he left the room.")
    assert not looks_like_headline("word " * 30)
    assert not looks_like_headline("x" * 151)


def test_a_one_line_article_gets_a_derived_title_and_keeps_its_text() -> None:
    clean = clean_article("Markets fell sharply on Monday. Traders blamed rates.")
    assert clean.title == "Markets fell sharply on Monday"
    assert clean.body == "Markets fell sharply on Monday. Traders blamed rates."


def test_derived_titles_are_short() -> None:
    lede = "An " + "extremely " * 40 + "long first sentence without an end"
    title = derive_title(lede)
    assert len(title) <= 91 and title.endswith("…")


# -- hard-wrapped lines and real paragraphs ------------------------------------------

REUTERS_40 = FIXTURES / "ingest" / "records" / "reuters_first40.jsonl.gz"


def reuters_bodies() -> list[str]:
    with gzip.open(REUTERS_40, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["body"] for line in lines]


def paragraph_starts(raw: str) -> int:
    """Reuters starts a paragraph on an indented line or after a blank line."""
    lines = raw.split("\n")
    return sum(
        1
        for n, line in enumerate(lines)
        if line.strip() and (n == 0 or line[0].isspace() or not lines[n - 1].strip())
    )


def test_reuters_wrapped_lines_join_and_indented_lines_start_paragraphs() -> None:
    cocoa, _ = clean_body(reuters_bodies()[0])
    assert cocoa.split("\n\n")[:2] == [
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
        "drought since early January and improving prospects for the coming temporao, "
        "although normal humidity levels have not been restored, Comissaria Smith said in "
        "its weekly review.",
        "The dry period means the temporao will be late this year.",
    ]
    for raw in reuters_bodies():
        body, _ = clean_body(raw)
        paragraphs = body.split("\n\n") if body else []
        assert all("\n" not in paragraph for paragraph in paragraphs)
        assert len(paragraphs) == paragraph_starts(raw), raw


def test_reuters_stories_keep_their_paragraphs_and_lose_their_line_ends(wire: Path) -> None:
    """About 1,400 real stories: paragraphs are where Reuters put them."""
    with wire.open(encoding="utf-8") as lines:
        bodies = [raw for raw in (json.loads(line)["body"] for line in lines) if raw.strip()]
    cleaned = [clean_body(raw) for raw in bodies]
    assert all("\n" not in body.replace("\n\n", "") for body, _ in cleaned)
    alike = sum(
        body.count("\n\n") + 1 + cleaning.duplicate_paragraphs + cleaning.link_lines
        == paragraph_starts(raw)
        for raw, (body, cleaning) in zip(bodies, cleaned, strict=True)
    )
    assert alike >= 0.99 * len(bodies)


def test_an_earnings_table_keeps_a_row_per_line_and_its_note_whole() -> None:
    (table,) = [raw for raw in reuters_bodies() if raw.startswith("Shr 34 cts")]
    body, _ = clean_body(table)
    assert body.split("\n\n") == [
        "Shr 34 cts vs 1.19 dlrs",
        "Net 807,000 vs 2,858,000",
        "Assets 510.2 mln vs 479.7 mln",
        "Deposits 472.3 mln vs 440.3 mln",
        "Loans 299.2 mln vs 327.2 mln",
        "Note: 4th qtr not available. Year includes 1985 extraordinary gain from tax carry "
        "forward of 132,000 dlrs, or five cts per shr.",
        "Reuter",
    ]


def test_wrapped_text_without_indents_breaks_where_a_line_ends_short() -> None:
    raw = (
        "Grain exports rose sharply in the third quarter as harvests\n"
        "recovered from the drought of the previous year, according to\n"
        "figures published by the ministry on Tuesday.\n"
        "Officials expect the trend to continue into next year, when\n"
        "new storage opens in the south of the country.\n"
    )
    body, _ = clean_body(raw)
    assert body.split("\n\n") == [
        "Grain exports rose sharply in the third quarter as harvests recovered from the "
        "drought of the previous year, according to figures published by the ministry on "
        "Tuesday.",
        "Officials expect the trend to continue into next year, when new storage opens in "
        "the south of the country.",
    ]


def test_bbc_paragraphs_stay_as_they_are() -> None:
    """The BBC articles put a paragraph (or a list item) on each line."""
    for path in sorted((FIXTURES / "bbc_business").glob("*.txt")):
        raw = path.read_text("utf-8")
        expected = [line.strip() for line in raw.splitlines() if line.strip()][1:]
        assert clean_article(raw).body.split("\n\n") == expected, path.name
