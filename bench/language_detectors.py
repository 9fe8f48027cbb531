"""Language detectors on the ingestion samples: accuracy, time per article, load time.

Each article of the real feeds and pages in ../shared/corpora/ingest_samples
(Chinese, German, Portuguese, French, Spanish, Czech and English), and the
first 300 BBC texts (English), is given to each detector as the archive
gives it: the title and the opening of the text (archive.sources.language.
SAMPLE_CHARS). The truth is the language each file is written in.

    python bench/language_detectors.py
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from archive.model import Article
from archive.sources import read_file
from archive.sources.language import SAMPLE_CHARS, declared, detected, opening

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parents[1] / "shared" / "corpora"
SAMPLES = CORPORA / "ingest_samples"
# py3langid and lingua are measured if installed (pip install py3langid
# lingua-language-detector); the archive needs neither.
TRUTH = {
    "feeds/guardian_us.rss": "en",
    "feeds/heise_developer.atom": "de",
    "feeds/jn_pt_iso-8859-1.rss": "pt",
    "feeds/uol_noticias_latin1_nodecl.rss": "pt",
    "feeds/qq_news_gb2312.xml": "zh",
    "feeds/nhs_north_west_news.rss": "en",
    "feeds/theverge.atom": "en",
    **{
        f"html/{name}/source.html": lang
        for name, lang in [
            ("bbc-1", "en"), ("cnn", "en"), ("nytimes-1", "en"), ("wapo-1", "en"),
            ("telegraph", "en"), ("herald-sun-1", "en"), ("lemonde-1", "fr"),
            ("folha", "pt"), ("la-nacion", "es"), ("aktualne", "cs"), ("heise", "de"),
            ("qq", "zh"),
        ]
    },
}  # fmt: skip


def samples() -> list[tuple[str, str, str]]:
    """(file, true language, the text a detector is given) for every article."""
    found = []
    for name, lang in TRUTH.items():
        for item in read_file(SAMPLES / name):
            if isinstance(item, Article):
                found.append((name, lang, opening(item.title, item.body)[:SAMPLE_CHARS]))
    for path in sorted((CORPORA / "bbc_fulltext" / "bbc").rglob("*.txt"))[:300]:
        text = path.read_text("utf-8", errors="replace")
        found.append(("bbc_fulltext", "en", text[:SAMPLE_CHARS]))
    return found


def py3langid(least: float) -> Callable[[], Callable[[str], str | None]]:
    def make() -> Callable[[str], str | None]:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

        def detect(text: str) -> str | None:
            code, confidence = identifier.classify(text)
            return code if confidence >= least else None

        return detect

    return make


def lingua() -> Callable[[str], str | None]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None

    return detect


def lingua_low_accuracy() -> Callable[[str], str | None]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None

    return detect


def cld2() -> Callable[[str], str | None]:
    """CLD2 as the archive uses it (archive.sources.language.detected)."""
    return detected


def measure(name: str, make: Callable[[], Callable[[str], str | None]], items: list) -> None:
    started = time.perf_counter()
    detect = make()
    detect("warm-up text, to load what loads on first use")
    loaded = time.perf_counter() - started
    wrong: Counter[tuple[str, str, str | None]] = Counter()
    started = time.perf_counter()
    for file, truth, text in items:
        found = declared(detect(text))
        if found != truth:
            wrong[(file, truth, found)] += 1
    each = (time.perf_counter() - started) / len(items)
    unsure = sum(n for (_, _, found), n in wrong.items() if found is None)
    right = len(items) - sum(wrong.values())
    print(
        f"{name:26} {right}/{len(items)} right ({right / len(items):.1%}), "
        f"{unsure} none, {len(items) - right - unsure} wrong, "
        f"{each * 1000:.2f} ms per article, {loaded:.2f} s to load"
    )
    for (file, truth, found), count in sorted(wrong.items(), key=str):
        print(f"    {count:3} x {file}: {truth} -> {found}")


def main() -> None:
    items = samples()
    print(f"{len(items)} articles, {len({f for f, _, _ in items})} files")
    for least in (0.9, 0.5, 0.0):
        measure(f"py3langid, p >= {least}", py3langid(least), items)
    measure("CLD2 (pycld2), as used", cld2, items)
    measure("lingua (low accuracy)", lingua_low_accuracy, items)
    measure("lingua", lingua, items)


if __name__ == "__main__":
    main()
