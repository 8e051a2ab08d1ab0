"""The French and Russian catalogues are complete (issue 18): every message the code marks is translated.

The messages are extracted as `make messages` extracts them (babel.cfg, and the Makefile's `--keywords`), with
Babel's own extraction API, and compared with consult_app/translations/{fr,ru}/LC_MESSAGES/messages.po: a message
missing there, untranslated, fuzzy, with an empty plural form (Russian has three), or whose placeholders differ
from the English fails. The compiled catalogue (`make catalogues`) must be the current one: holding the same
translations as its .po.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = PROJECT_ROOT / "consult_app" / "translations"
LANGUAGES = ("fr", "ru")
# Russian: one (1, 21), few (2-4, 22) and many (0, 5-20); French: Babel's three CLDR forms.
PLURAL_FORMS = {"fr": 3, "ru": 3}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def makefile_keywords() -> list[str]:
    """The `--keywords` of the Makefile's `messages` target (the lazy forms), and `lazy_gettext`, which a module
    may import under its own name."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\nmessages:", 1)[1].split("\n\n", 1)[0]
    keywords = re.findall(r"--keywords\s+(\S+)", target)
    assert "_l" in keywords, f"the Makefile's messages target no longer names _l: {keywords}"
    return sorted({*keywords, "lazy_gettext"})


@dataclass
class Extracted:
    plural: str | None = None
    places: set[str] = field(default_factory=set)


def extract() -> dict[str, Extracted]:
    """msgid -> what was extracted for it, from the files babel.cfg names under the project."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(makefile_keywords()))
    messages: dict[str, Extracted] = {}
    for path in sorted((PROJECT_ROOT / "consult_app").rglob("*")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        if not path.is_file() or "__pycache__" in relative:
            continue
        for pattern, method in method_map:
            if pathmatch(pattern, relative):
                found = extract_from_file(method, str(path), keywords=keywords, options=options_map[pattern])
                for lineno, message, _comments, _context in found:
                    singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
                    if not singular:
                        continue
                    entry = messages.setdefault(singular, Extracted(plural))
                    entry.plural = entry.plural or plural
                    entry.places.add(f"{relative}:{lineno}")
                break
    return messages


@pytest.fixture(scope="module")
def extracted() -> dict[str, Extracted]:
    messages = extract()
    assert len(messages) > 100, "the extraction found almost nothing: is babel.cfg still right?"
    return messages


def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def where(entry: Extracted) -> str:
    return ", ".join(sorted(entry.places)[:3]) + (" …" if len(entry.places) > 3 else "")


def test_the_extraction_sees_templates_forms_and_lazy_strings(extracted):
    # One of each kind, present since the foundation: a template, a plural in Python, and a lazy label.
    assert "Skip to main content" in extracted
    assert extracted["%(num)d day"].plural == "%(num)d days"
    assert any("consult_app/labels.py" in place for entry in extracted.values() for place in entry.places)


def completeness_problems(extracted: dict[str, Extracted], catalog: Catalog, language: str) -> list[str]:
    """What is missing, untranslated, fuzzy or short of plural forms in `catalog` for the extracted messages."""
    missing, untranslated, fuzzy, plurals = [], [], [], []
    for msgid, entry in sorted(extracted.items()):
        message = catalog.get(msgid)
        if message is None:
            missing.append(f"{msgid!r} ({where(entry)})")
            continue
        if message.fuzzy:
            fuzzy.append(f"{msgid!r} ({where(entry)})")
        strings = as_tuple(message.string)
        if entry.plural and not message.pluralizable:
            plurals.append(f"{msgid!r}: a plural message ({entry.plural!r}) without plural forms")
        elif entry.plural and len(strings) != PLURAL_FORMS[language]:
            plurals.append(f"{msgid!r}: {len(strings)} plural forms, not {PLURAL_FORMS[language]}")
        if not all(string and string.strip() for string in strings):
            untranslated.append(f"{msgid!r} ({where(entry)})")
    report = []
    for title, items in (("missing", missing), ("untranslated", untranslated), ("fuzzy", fuzzy), ("plural", plurals)):
        if items:
            report.append(f"{len(items)} {title} in {language}:\n  " + "\n  ".join(items))
    return report


def placeholder_problems(catalog: Catalog) -> list[str]:
    """Babel's own checks (python-format placeholders, number of plural forms), and each translation naming
    exactly the English placeholders: a dropped %(ref)s loses the reference, an unknown one raises KeyError."""
    errors = [f"{message.id!r}: {'; '.join(str(e) for e in problems)}" for message, problems in catalog.check()]
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = as_tuple(message.id)
        expected = set().union(*(PLACEHOLDER.findall(msgid) for msgid in ids))
        for index, string in enumerate(as_tuple(message.string)):
            if string and set(PLACEHOLDER.findall(string)) != expected:
                found = sorted(set(PLACEHOLDER.findall(string)))
                errors.append(f"{ids[0]!r} form {index}: placeholders {found}, the English has {sorted(expected)}")
    return errors


def plural_problems(catalog: Catalog, language: str) -> list[str]:
    """Plural entries without every form of the language (Russian: one, few, many), or with an empty one."""
    return [
        f"{message.id[0]!r}: {message.string!r}"
        for message in catalog
        if message.id
        and message.pluralizable
        and (len(as_tuple(message.string)) != PLURAL_FORMS[language] or not all(as_tuple(message.string)))
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(extracted, language):
    report = completeness_problems(extracted, catalogue(language), language)
    assert not report, "\n".join(report)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_not_marked_fuzzy_and_has_the_right_plural_rule(language):
    catalog = catalogue(language)
    assert not catalog.fuzzy, f"{language}/messages.po's header is marked fuzzy"
    assert catalog.num_plurals == PLURAL_FORMS[language]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy entries in {language}: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_english(language):
    errors = placeholder_problems(catalogue(language))
    assert not errors, f"{len(errors)} placeholder problems in {language}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_russian_and_french_plurals_have_every_form(language):
    short = plural_problems(catalogue(language), language)
    forms = PLURAL_FORMS[language]
    assert not short, f"plural entries in {language} without all {forms} forms:\n  " + "\n  ".join(short)


def test_the_checks_find_each_kind_of_problem():
    """The checks themselves, on a small Russian catalogue with one fault of each kind."""
    extracted = {
        "Saved": Extracted(),
        "Not there": Extracted(),
        "Empty": Extracted(),
        "Guessed": Extracted(),
        "%(num)d comment": Extracted("%(num)d comments"),
        "Comment %(ref)s saved": Extracted(),
    }
    catalog = Catalog(locale="ru")
    catalog.add("Saved", "Сохранено")
    catalog.add("Empty", "")
    catalog.add("Guessed", "Угадано", flags=["fuzzy"])
    catalog.add(("%(num)d comment", "%(num)d comments"), ("%(num)d комментарий", "%(num)d комментария", ""))
    catalog.add("Comment %(ref)s saved", "Комментарий %(reference)s сохранён", flags=["python-format"])
    report = "\n".join(completeness_problems(extracted, catalog, "ru"))
    assert "1 missing in ru:\n  'Not there'" in report
    assert "'Empty'" in report.split("untranslated")[1] and "'%(num)d comment'" in report.split("untranslated")[1]
    assert "1 fuzzy in ru:\n  'Guessed'" in report
    assert "'Saved'" not in report
    assert [problem.split(":")[0] for problem in plural_problems(catalog, "ru")] == ["'%(num)d comment'"]
    placeholders = "\n".join(placeholder_problems(catalog))
    assert "'Comment %(ref)s saved'" in placeholders and "reference" in placeholders
    dropped = Catalog(locale="ru")
    dropped.add("Comment %(ref)s saved", "Комментарий сохранён", flags=["python-format"])
    assert placeholder_problems(dropped) == ["'Comment %(ref)s saved' form 0: placeholders [], the English has ['ref']"]


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_the_compiled_catalogue_is_the_current_one(language):
    """`make catalogues` (or `make install`) compiled the .mo from this .po: it holds the same messages. (Its
    date is not the test: `make messages` rewrites an unchanged .po, and make then compiles it again anyway.)"""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    assert mo.exists(), f"{mo} is missing: run `make catalogues`"
    older = " (and it is older than its .po)" if mo.stat().st_mtime < po.stat().st_mtime else ""
    stale = stale_messages(catalogue(language), mo)
    assert not stale, (
        f"{len(stale)} messages of {language}/messages.po differ in the .mo{older}: run `make catalogues`. {stale[:10]}"
    )


def stale_messages(catalog: Catalog, mo: Path) -> list[str]:
    """The translated messages of `catalog` that the compiled file `mo` lacks or holds otherwise."""
    with mo.open("rb") as handle:
        compiled = {as_tuple(message.id): as_tuple(message.string) for message in read_mo(handle) if message.id}
    expected = {
        as_tuple(message.id): as_tuple(message.string)
        for message in catalog
        if message.id and not message.fuzzy and all(as_tuple(message.string))
    }
    return sorted(msgid[0] for msgid in expected if compiled.get(msgid) != expected[msgid])


def test_a_stale_compiled_catalogue_is_found(tmp_path):
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="fr")
    catalog.add("Saved", "Enregistré")
    catalog.add(("%(num)d day", "%(num)d days"), ("%(num)d jour", "%(num)d jours", "%(num)d jours"))
    with (tmp_path / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    assert stale_messages(catalog, tmp_path / "messages.mo") == []
    changed = Catalog(locale="fr")
    changed.add("Saved", "Sauvegardé")
    changed.add("Deleted", "Supprimé")
    assert stale_messages(changed, tmp_path / "messages.mo") == ["Deleted", "Saved"]


def as_tuple(value) -> tuple[str, ...]:
    """A message's id or string as a tuple (a plural's are lists or tuples, depending on the reader)."""
    return (value,) if isinstance(value, str) else tuple(value)
