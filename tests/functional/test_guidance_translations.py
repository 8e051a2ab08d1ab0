"""Guidance in several languages: a translation names its original in its front matter, has the original's
section keys, and the reading pages link each language to the others; comments carry the language of the
interface they were written in, exported as the response log's last column."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Comment, Document, Section, Version
from consult_app.services import export, importer, reading
from consult_app.services.guidance import load_guidance
from tests.conftest import PROJECT_ROOT
from tests.factories import guidance_text, make_comment, make_user, write_guidance
from tests.functional.test_admin_guidance import apply, token_in, upload
from tests.functional.test_import import exported, saved
from tests.functional.test_import import upload as upload_log

FRENCH_SECTIONS = [
    ("Introduction {#introduction}", "Pourquoi ces lignes directrices existent.\n\n### Champ\n\nCe qu’elles couvrent."),
    ("Bien public {#public-good}", "Les statistiques doivent servir le *public*."),
    ("Biais et équité {#bias-and-fairness}", "*Cette section n’est pas encore traduite.*"),
]
FRENCH = "language: fr\ntranslation_of: test-guidance\ntranslation: partial\n"


def write_french(folder, *, sections=FRENCH_SECTIONS, details=FRENCH, slug="test-guidance-fr", name=None):
    text = guidance_text(title="Lignes directrices d’essai", slug=slug, sections=sections, details=details)
    path = folder / (name or f"{slug}.md")
    path.write_text(text, encoding="utf-8")
    return path


def load(runner, *paths):
    return runner.invoke(args=["guidance", "load", *map(str, paths)])


def documents_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


# --- loading ------------------------------------------------------------------------------------------------


def test_a_translation_and_its_original_load_together_in_any_order(app, runner, tmp_path):
    french, english = write_french(tmp_path), write_guidance(tmp_path)
    result = load(runner, french, english)  # the translation first: the original is stored before it anyway
    assert result.exit_code == 0, result.output
    assert "test-guidance-fr: created version 1 with 3 sections" in result.output
    with app.app_context():
        stored = {d.slug: d for d in db.session.scalars(select(Document))}
        assert (stored["test-guidance-fr"].language, stored["test-guidance-fr"].translation_of) == (
            "fr",
            "test-guidance",
        )
        assert stored["test-guidance-fr"].translation_partial is True
        assert (stored["test-guidance"].language, stored["test-guidance"].translation_of) == ("en", None)
        assert stored["test-guidance"].translation_partial is False
    again = load(runner, french, english)
    assert again.exit_code == 0 and "test-guidance-fr: unchanged (version 1)" in again.output


def test_a_translation_whose_keys_differ_is_refused_naming_missing_and_extra_keys(app, runner, tmp_path):
    assert load(runner, write_guidance(tmp_path)).exit_code == 0
    sections = [
        ("Introduction {#introduction}", "Texte."),
        ("Biais et équité", "Texte."),  # no explicit key: "biais-et-equite", not the original's "bias-and-fairness"
    ]
    result = load(runner, write_french(tmp_path, sections=sections))
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "the section keys differ from those of the original 'test-guidance', version 1" in result.output
    assert "missing: public-good, bias-and-fairness; extra: biais-et-equite" in result.output
    assert "{#introduction}" in result.output  # says how to give a key
    assert documents_count(app) == 1


def test_the_same_keys_in_another_order_are_refused(app, runner, tmp_path):
    sections = [FRENCH_SECTIONS[1], FRENCH_SECTIONS[0], FRENCH_SECTIONS[2]]
    result = load(runner, write_guidance(tmp_path), write_french(tmp_path, sections=sections))
    assert result.exit_code == 1
    assert "not in the order of the original 'test-guidance': introduction, public-good, bias-and-fairness" in (
        result.output
    )
    assert documents_count(app) == 0  # the original of the same run is not loaded either


def test_an_unknown_original_is_refused(app, runner, tmp_path):
    details = "language: fr\ntranslation_of: no-such-guidance\n"
    result = load(runner, write_french(tmp_path, details=details))
    assert result.exit_code == 1
    assert "test-guidance-fr.md:9: 'translation_of' names 'no-such-guidance', but there is no such document" in (
        result.output
    )
    assert documents_count(app) == 0


@pytest.mark.parametrize(
    ("details", "message"),
    [
        # The front matter's lines 5 to 7 are the consultation's dates: these keys start on line 8.
        ("language: de\n", ":8: unknown language 'de': use one of en, fr, ru (English, Français, Русский)"),
        ("language: [fr]\n", ":8: 'language' must be text"),
        ("language: fr\ntranslation_of: Test Guidance\n", ":9: 'translation_of' must be the slug of the original"),
        ("language: fr\ntranslation_of: test-guidance-fr\n", ":9: 'translation_of' names this document itself"),
        (
            "language: fr\ntranslation_of: test-guidance\ntranslation: draft\n",
            ":10: 'translation' must be 'partial' or",
        ),
        ("language: fr\ntranslation: partial\n", ":9: 'translation' is only for a translation: add 'translation_of:'"),
        ("language: fr\ntranslations_of: test-guidance\n", ":9: unknown front matter key 'translations_of'"),
    ],
)
def test_bad_language_and_translation_keys_are_refused_with_their_line(app, runner, tmp_path, details, message):
    assert load(runner, write_guidance(tmp_path)).exit_code == 0
    result = load(runner, write_french(tmp_path, details=details))
    assert result.exit_code == 1 and f"test-guidance-fr.md{message}" in result.output, result.output
    assert documents_count(app) == 1


def test_a_language_code_may_be_written_in_capitals(app, runner, tmp_path):
    result = load(
        runner,
        write_guidance(tmp_path),
        write_french(tmp_path, details="language: FR\ntranslation_of: test-guidance\n"),
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Document.language).where(Document.slug == "test-guidance-fr")) == "fr"


def test_a_translation_of_a_translation_is_refused(app, runner, tmp_path):
    assert load(runner, write_guidance(tmp_path), write_french(tmp_path)).exit_code == 0
    details = "language: ru\ntranslation_of: test-guidance-fr\n"
    result = load(runner, write_french(tmp_path, details=details, slug="test-guidance-ru"))
    assert result.exit_code == 1
    assert "'test-guidance-fr' is itself a translation (of 'test-guidance')" in result.output
    assert "write 'translation_of: test-guidance'" in result.output
    # Nor may an original that has a translation become a translation itself.
    other = write_guidance(tmp_path, "other.md", slug="other", details="language: fr\n")
    assert load(runner, other).exit_code == 0
    result = load(runner, write_guidance(tmp_path, details="language: en\ntranslation_of: other\n"))
    assert result.exit_code == 1
    assert "'test-guidance' cannot be a translation: 'test-guidance-fr' is a translation of it" in result.output


def test_a_translation_in_the_original_language_or_a_second_one_into_a_language_is_refused(app, runner, tmp_path):
    assert load(runner, write_guidance(tmp_path), write_french(tmp_path)).exit_code == 0
    same = load(runner, write_french(tmp_path, details="translation_of: test-guidance\n", slug="test-guidance-en"))
    assert same.exit_code == 1 and "in the same language as its original (en)" in same.output
    second = load(runner, write_french(tmp_path, slug="test-guidance-fr2"))
    assert second.exit_code == 1 and "'test-guidance' already has a translation in fr: 'test-guidance-fr'" in (
        second.output
    )


def test_an_original_whose_new_version_changes_keys_warns_about_its_translations(app, runner, tmp_path):
    assert load(runner, write_guidance(tmp_path), write_french(tmp_path)).exit_code == 0
    sections = [("Introduction {#introduction}", "Reworded."), ("Accountability", "Someone must answer.")]
    result = load(runner, write_guidance(tmp_path, sections=sections))
    assert result.exit_code == 0, result.output
    assert "the translation 'test-guidance-fr' (fr) no longer has the same sections" in result.output
    assert "missing: accountability; extra: public-good, bias-and-fairness" in result.output


def test_loading_a_translation_changes_the_originals_page_fingerprint(app_context, tmp_path):
    load_guidance([write_guidance(tmp_path)])
    db.session.commit()
    before = reading.document_fingerprint("test-guidance"), reading.section_fingerprint("test-guidance", "public-good")
    load_guidance([write_french(tmp_path)])
    db.session.commit()
    after = reading.document_fingerprint("test-guidance"), reading.section_fingerprint("test-guidance", "public-good")
    assert before[0] != after[0] and before[1] != after[1]


def test_the_guidance_folder_loads_with_its_french_translation(app, runner):
    result = load(runner)  # every guidance/*.md: ml-ethics.fr.md sorts before ml-ethics.md
    assert result.exit_code == 0, result.output
    with app.app_context():
        french = db.session.scalar(select(Document).where(Document.translation_of == "ml-ethics"))
        assert (french.slug, french.language, french.translation_partial) == ("ml-ethics-fr", "fr", True)
        keys = {
            document.slug: list(
                db.session.scalars(
                    select(Section.key).join(Version).where(Version.document_id == document.id).order_by(Section.number)
                )
            )
            for document in db.session.scalars(select(Document))
        }
        assert keys["ml-ethics-fr"] == keys["ml-ethics"] and len(keys["ml-ethics"]) >= 10
    assert (PROJECT_ROOT / "guidance" / "ml-ethics.fr.md").exists()


# --- the web upload -----------------------------------------------------------------------------------------


def test_the_web_upload_refuses_a_translation_whose_keys_differ_and_applies_one_that_matches(
    client, document, login_as, tmp_path
):
    login_as("admin")
    bad = write_french(tmp_path, sections=FRENCH_SECTIONS[:2]).read_text(encoding="utf-8")
    refused = upload(client, bad, "test-guidance-fr.md")
    assert refused.status_code == 400
    assert "missing: bias-and-fairness" in refused.get_data(as_text=True)
    unknown = write_french(tmp_path, details="language: fr\ntranslation_of: nowhere\n").read_text(encoding="utf-8")
    assert "there is no such document" in upload(client, unknown, "test-guidance-fr.md").get_data(as_text=True)
    good = write_french(tmp_path).read_text(encoding="utf-8")
    checked = upload(client, good, "test-guidance-fr.md")
    assert checked.status_code == 200
    applied = apply(client, token_in(checked.get_data(as_text=True)))
    assert applied.status_code == 302
    stored = db.session.scalar(select(Document).where(Document.slug == "test-guidance-fr"))
    assert (stored.language, stored.translation_of, stored.translation_partial) == ("fr", "test-guidance", True)


def test_a_french_administrator_reads_why_a_translation_is_refused_in_french(client, document, login_as, tmp_path):
    admin = login_as("admin")
    admin = db.session.merge(admin)
    admin.language = "fr"
    db.session.commit()
    bad = write_french(tmp_path, sections=FRENCH_SECTIONS[:2]).read_text(encoding="utf-8")
    html = upload(client, bad, "test-guidance-fr.md").get_data(as_text=True)
    assert "les clés de section diffèrent de celles de l’original « test-guidance », version 1" in html
    assert "(manquantes : bias-and-fairness ; en trop : —)" in html
    unknown = write_french(tmp_path, details="language: de\n").read_text(encoding="utf-8")
    html = upload(client, unknown, "test-guidance-fr.md").get_data(as_text=True)
    assert "langue inconnue « de » : utilisez l’un des codes en, fr, ru (English, Français, Русский)" in html


def test_a_checked_translation_is_not_applied_once_its_original_changed_keys(client, document, login_as, tmp_path):
    login_as("admin")
    checked = upload(client, write_french(tmp_path).read_text(encoding="utf-8"), "test-guidance-fr.md")
    load_guidance([write_guidance(tmp_path, sections=FRENCH_SECTIONS[:2])])
    db.session.commit()
    applied = apply(client, token_in(checked.get_data(as_text=True)))
    assert applied.status_code == 409
    assert "extra: bias-and-fairness" in applied.get_data(as_text=True)
    assert db.session.scalar(select(Document).where(Document.slug == "test-guidance-fr")) is None


# --- the reading pages --------------------------------------------------------------------------------------


@pytest.fixture
def translated(app_context, document, tmp_path):
    load_guidance([write_french(tmp_path)])
    db.session.commit()
    return document


def test_each_language_links_to_the_others_named_in_themselves(client, translated):
    english = client.get("/guidance/test-guidance/").get_data(as_text=True)
    assert "This document in other languages:" in english
    assert '<a href="/guidance/test-guidance-fr/" hreflang="fr" lang="fr">Français</a>' in english
    assert "(partial translation)" in english and "This translation is not complete yet" not in english
    french = client.get("/guidance/test-guidance-fr/").get_data(as_text=True)
    assert '<a href="/guidance/test-guidance/" hreflang="en" lang="en">English</a>' in french
    assert "This translation is not complete yet" in french
    section = client.get("/guidance/test-guidance-fr/public-good/").get_data(as_text=True)
    assert '<a href="/guidance/test-guidance/public-good/" hreflang="en" lang="en">English</a>' in section
    assert "This translation is not complete yet" in section


def test_the_api_says_which_document_translates_which(client, translated):
    listed = {item["slug"]: item for item in client.get("/api/v1/documents").get_json()["documents"]}
    french, english = listed["test-guidance-fr"], listed["test-guidance"]
    assert (french["language"], french["translation_of"], french["partial_translation"]) == (
        "fr",
        "test-guidance",
        True,
    )
    assert (english["language"], english["translation_of"], english["partial_translation"]) == ("en", None, False)


def test_the_text_of_a_translation_is_marked_with_its_language(client, translated):
    """The interface may be in English around a French text: screen readers must pronounce each in its language."""
    html = client.get("/guidance/test-guidance-fr/").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert '<h1><span lang="fr">Lignes directrices d’essai</span></h1>' in html
    assert '<div class="block__text prose" lang="fr"><p>Les statistiques doivent servir' in html
    section = client.get("/guidance/test-guidance-fr/public-good/", headers={"Accept-Language": "ru"})
    assert '<span lang="fr">Bien public</span></h1>' in section.get_data(as_text=True)


def test_a_section_missing_in_the_other_language_links_to_that_document(client, translated, tmp_path):
    # The original's new version has a section the translation lacks (the load warns about it).
    sections = [*FRENCH_SECTIONS, ("Accountability", "Someone must answer.")]
    load_guidance([write_guidance(tmp_path, sections=sections)])
    db.session.commit()
    page = client.get("/guidance/test-guidance/accountability/").get_data(as_text=True)
    assert '<a href="/guidance/test-guidance-fr/" hreflang="fr" lang="fr">Français</a>' in page


def test_a_document_in_one_language_offers_no_other(client, document):
    assert "other languages" not in client.get("/guidance/test-guidance/").get_data(as_text=True)
    assert "other languages" not in client.get("/guidance/test-guidance/public-good/").get_data(as_text=True)


def test_the_home_page_lists_a_translation_with_its_original(client, translated):
    html = client.get("/").get_data(as_text=True)
    assert html.count('class="document-card"') == 1
    assert '<a href="/guidance/test-guidance-fr/" hreflang="fr" lang="fr">Français</a>' in html
    assert "Lignes directrices d’essai" not in html


def test_the_pages_of_both_languages_read_in_french_and_russian(client, translated):
    for language in ("fr", "ru"):
        for path in (
            "/",
            "/guidance/test-guidance/",
            "/guidance/test-guidance-fr/",
            "/guidance/test-guidance-fr/introduction/",
        ):
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, (language, path)
            assert "This document in other languages" not in response.get_data(as_text=True), (language, path)


# --- the language of comments -------------------------------------------------------------------------------

FORM = {
    "body": "La section devrait parler des petites zones.",
    "kind": "suggestion",
    "quote": "",
    "publication": "public_named",
}


def test_a_comment_and_a_reply_carry_the_interface_language_into_the_export_and_the_api(client, translated, login_as):
    login_as("reviewer")
    posted = client.post("/guidance/test-guidance-fr/public-good/", data=FORM, headers={"Accept-Language": "fr"})
    assert posted.status_code == 302
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert (comment.language, comment.document.slug) == ("fr", "test-guidance-fr")  # stays on its document
    comment.status = "approved"
    db.session.commit()
    reply = client.post(
        "/guidance/test-guidance-fr/public-good/",
        data={**FORM, "body": "Я согласен.", "parent_id": str(comment.id)},
        headers={"Accept-Language": "ru"},
    )
    assert reply.status_code == 302
    db.session.expire_all()
    answer = db.session.scalar(select(Comment).where(Comment.parent_id == comment.id))
    assert answer.language == "ru"
    english = make_comment(make_user(), translated, status="approved")
    rows = {row["reference"]: row for row in exported()}
    assert export.COLUMNS[-1] == "language" and export.COLUMNS.index("language") == 26  # column 27
    assert [rows[c.reference]["language"] for c in (comment, answer, english)] == ["fr", "ru", "en"]
    records = json.loads("".join(export.json_chunks(export.rows(export.ExportFilters()))))
    assert list(records[0])[-1] == "language"
    assert {record["reference"]: record["language"] for record in records}[comment.reference] == "fr"
    listed = client.get("/api/v1/documents/test-guidance-fr/comments").get_json()["comments"]
    assert [(item["reference"], item["language"]) for item in listed] == [(comment.reference, "fr")]


def test_the_csv_header_ends_with_language(client, translated, login_as):
    make_comment(make_user(), translated, status="approved")
    login_as("moderator")
    text = client.get("/moderation/export.csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header[-1] == "language" and header[-2] == "themes"


def test_the_importer_reads_files_with_or_without_the_language_column_and_never_changes_it(
    client, translated, login_as
):
    comment = make_comment(make_user(), translated, status="approved")
    login_as("moderator")
    rows = exported()
    rows[0].update(disposition="noted", response="Merci.", language="ru")
    with_column = importer.parse(saved(rows))
    assert not with_column.errors and len(with_column.rows) == 1
    without = [name for name in export.COLUMNS if name != "language"]
    assert not importer.parse(saved(rows, columns=without)).errors
    checked = upload_log(client, saved(rows))
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).language == "en"
