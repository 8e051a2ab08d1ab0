"""The staff pages in French and Russian: the dashboard (charts included), themes, a group of similar comments,
the import of dispositions, the admin pages, and the summary of responses with its Word document. The CSV's
codes and column names stay English; the command line speaks English."""

from __future__ import annotations

import io
import re

import docx
import pytest
from flask_babel import force_locale, ngettext

from consult_app.extensions import db
from consult_app.services import moderation, themes
from consult_app.services.dashboard import describe_duration
from tests.factories import make_comment, make_user
from tests.functional.test_similarity import PARAPHRASES, group_of

FR = {"Accept-Language": "fr"}
RU = {"Accept-Language": "ru"}


def main(html: str) -> str:
    """The page's main content, without tags and attribute values."""
    content = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"<[^>]+>", " ", content)


def no_english(html: str, *phrases: str) -> None:
    text = main(html)
    left = [phrase for phrase in phrases if phrase in text]
    assert not left, left


def get(client, path: str, headers: dict, status: int = 200) -> str:
    response = client.get(path, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert f'<html lang="{headers["Accept-Language"]}"' in html
    return html


@pytest.fixture
def commented(document):
    """Comments from two respondent types on the test document, one answered and tagged with a theme."""
    moderator = make_user("moderator", name="Mo Derator")
    author = make_user("reviewer", name="Rita Reviewer", respondent_type="civil_society", country="France")
    other = make_user("reviewer", name="Oscar Office", respondent_type="national_statistics_office", country="Chile")
    said = make_comment(author, document, key="public-good", status="approved", body="Add small areas.")
    make_comment(other, document, key="public-good", status="approved", body="Say who is accountable.")
    make_comment(other, document, key="introduction", body="Still waiting for a moderator.")
    moderation.set_disposition(moderator, said, "accepted", "Done in version 2.")
    quality = themes.create_theme(moderator, document, "Data quality")
    themes.tag([said.id], [quality.id], moderator)
    db.session.commit()
    return {"said": said, "theme": quality}


DASHBOARD_ENGLISH = (
    "Moderation dashboard",
    "Comments per section",
    "Comments per respondent type",
    "Comments per week",
    "Number of comments",
    "All sections",
    "Open comments per person",
    "Median time",
    "Awaiting moderation",
    "Campaigns",
    "Themes and the summary of responses",
    "carries at least one theme",
    "Civil society",
    "Deleted account",
    "that were not withdrawn",
    "Pending",
)


def test_the_dashboard_in_french(client, login_as, commented):
    login_as("moderator")
    html = get(client, "/moderation/dashboard", FR)
    assert "<h1>Tableau de bord de la modération</h1>" in html
    assert "Commentaires par section, par statut" in html and "Commentaires par type de répondant" in html
    assert "Société civile" in html and "Compte supprimé" in html
    # The chart's name and text alternative are French too, numbers and all.
    assert "<title" in html and "Commentaires par section : Test guidance" in html
    assert "Nombre de commentaires sur chaque section, dans l’ordre de la version actuelle." in html
    assert re.search(r"Société civile : \d", html)
    assert "1 commentaire porte au moins un thème." in html
    assert "Aucune campagne" in html and "En attente" in html
    no_english(html, *DASHBOARD_ENGLISH)


def test_the_dashboard_in_russian(client, login_as, commented):
    login_as("moderator")
    html = get(client, "/moderation/dashboard", RU)
    assert "<h1>Панель модерации</h1>" in html
    assert "Комментарии по разделам" in html and "Комментарии по типам респондентов" in html
    assert "Гражданское общество" in html and "Удалённая учётная запись" in html
    assert "1 комментарий отмечен хотя бы одной темой." in html
    assert "Кампаний нет" in html
    no_english(html, *DASHBOARD_ENGLISH)


def test_themes_pages_and_flashes_in_french(client, login_as, commented, document):
    login_as("moderator")
    html = get(client, "/moderation/themes?document=test-guidance", FR)
    assert "<h1>Thèmes</h1>" in html and "La grille de thèmes" in html and "Ajouter le thème" in html
    assert "1 commentaire porte au moins un thème." in html
    no_english(
        html, "The code frame", "Add a theme", "Parent theme", "None: a top-level theme", "Description (optional)"
    )
    theme = get(client, f"/moderation/themes/{commented['theme'].id}", FR)
    assert "Thème « Data quality »" in theme and "1 commentaire porte ce thème." in theme
    assert "Supprimer « Data quality »" in theme
    no_english(theme, "Delete the theme", "Save the theme", "comment carries")
    added = client.post(
        "/moderation/themes",
        data={"document": "test-guidance", "name": "Coûts", "description": "", "parent_id": ""},
        headers=FR,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Thème « Coûts » ajouté." in added
    clash = client.post(
        "/moderation/themes",
        data={"document": "test-guidance", "name": "DATA QUALITY", "description": "", "parent_id": ""},
        headers=FR,
    )
    assert clash.status_code == 409 and "Ce document a déjà un thème nommé « Data quality »." in clash.get_data(
        as_text=True
    )


def test_a_group_of_similar_comments_in_russian(client, login_as, document):
    author = make_user("reviewer", name="Camp Aigner")
    planted = [make_comment(author, document, body=text) for text in PARAPHRASES]
    group_id = group_of(planted[0])
    login_as("moderator")
    html = get(client, f"/moderation/groups/{group_id}", RU)
    assert "5 похожих комментариев: кампания" in html
    assert "Одобрить все ожидающие" in html and "Ответить на все" in html
    no_english(html, "similar comments", "Decide all", "Answer all", "Tag all", "Approve all pending", "whose texts")
    done = client.post(
        f"/moderation/groups/{group_id}/decision", data={"decision": "approve"}, headers=RU, follow_redirects=True
    ).get_data(as_text=True)
    assert "Одобрено 5 комментариев." in done
    dashboard = get(client, "/moderation/dashboard", RU)
    assert "1 кампания: группа из пяти или более комментариев" in dashboard


def test_the_import_upload_and_plan_in_french(client, login_as, commented):
    login_as("moderator")
    html = get(client, "/moderation/import", FR)
    assert "<h1>Importer des suites données</h1>" in html and "Vérifier le fichier" in html
    assert "<code>disposition</code>" in html  # the column names stay English
    no_english(html, "Import dispositions", "What the file needs", "Check the file", "Response log (CSV file)")
    said = commented["said"].reference
    data = f"reference,disposition,response\r\n{said},maybe,Peut-être.\r\nX-12,noted,\r\n".encode()
    response = client.post("/moderation/import", data={"file": (io.BytesIO(data), "registre.csv")}, headers=FR)
    plan = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="fr"' in plan
    assert "Vérifier l’import" in plan and "registre.csv : rien n’a encore été enregistré." in plan
    assert "2 lignes du fichier ne peuvent pas être importées" in plan
    assert "Suite donnée inconnue &#39;maybe&#39;" in plan and "n’est pas une référence de commentaire" in plan
    no_english(plan, "Check the import", "Rows with problems", "Unknown disposition", "cannot be imported", "Conflicts")
    # A file that is not CSV at all: the reason is in French.
    binary = client.post("/moderation/import", data={"file": (io.BytesIO(b"%PDF-1.7"), "x.pdf")}, headers=FR)
    assert "Il s’agit d’un document PDF, pas d’un fichier CSV." in binary.get_data(as_text=True)


def test_the_admin_pages_in_french_and_russian(client, login_as, document):
    make_user("reviewer", name="Rita Reviewer")
    login_as("admin")
    users = get(client, "/admin/users", FR)
    assert "<h1>Comptes</h1>" in users and "2 comptes trouvés." in users and "Changer le rôle" in users
    assert "Administrateur (vous)" in users and "Désactiver" in users
    no_english(users, "Accounts", "accounts found", "Change role", "Deactivate", "Name and email", "Registered")
    russian = get(client, "/admin/users", RU)
    assert "Найдено 2 учётные записи." in russian and "Изменить роль" in russian
    upload = get(client, "/admin/guidance", FR)
    assert "Vérifier le fichier" in upload and "Documents actuels" in upload
    assert "Fichier de lignes directrices (Markdown)" in upload
    no_english(upload, "Check the file", "Documents now", "Current version", "Publish a new version")


def test_the_check_of_a_new_guidance_version_in_french(client, login_as, document):
    from tests.functional.test_admin_guidance import SECOND, upload

    login_as("admin")
    client.set_cookie("consult_language", "fr")  # the upload helper sends no headers: the switcher's cookie
    page = upload(client, SECOND).get_data(as_text=True)
    assert '<html lang="fr"' in page and "<h1>Vérifier la nouvelle version</h1>" in page
    assert "test-guidance.md : rien n’a encore été enregistré." in page
    assert "modifiées : 1, ajoutées : 1, supprimées : 1, inchangées : 1" in page
    assert "Publier la version 2" in page and "(nouvelle section)" in page
    assert "Modifications apportées à la suite des commentaires (facultatif)" in page
    no_english(page, "Check the new version", "Applying makes", "Reviewers to tell", "Publish version", "new section")


def test_the_summary_page_and_word_document_in_french_and_russian(client, login_as, commented):
    login_as("moderator")
    html = get(client, "/guidance/test-guidance/responses/", FR)
    assert "<h1>Test guidance</h1>" in html and "Synthèse des réponses" in html
    assert "3 commentaires de 2 personnes." not in html  # pending comments are not responses
    assert "2 commentaires de 2 personnes." in html and "Qui a répondu" in html
    assert "Aperçu : pas encore publié." in html and "Publier la synthèse" in html
    assert "Vous avez dit, nous avons fait" in html and "<strong>Accepté</strong>" in html
    no_english(html, "Who responded", "You said", "Respondent type", "Publish the summary", "Preview", "comments from")
    response = client.get("/guidance/test-guidance/responses.docx", headers=RU)
    assert response.status_code == 200
    word = docx.Document(io.BytesIO(response.data))
    paragraphs = [paragraph.text for paragraph in word.paragraphs]
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    text = "\n".join(paragraphs + cells)
    assert paragraphs[0] == "Сводка ответов: Test guidance"
    assert "Кто ответил" in text and "2 комментария от 2 человек." in text and "Тип респондента" in text
    assert "Вы сказали — мы сделали" in text and "Ответа пока нет" in text
    assert word.core_properties.language == "ru"
    for english in ("Summary of responses", "Who responded", "You said", "People", "No response yet", "Preview"):
        assert english not in text, english


def test_publishing_the_summary_flashes_in_french(client, login_as, commented):
    login_as("moderator")
    page = client.post(
        "/guidance/test-guidance/responses/publication", data={"publish": "1"}, headers=FR, follow_redirects=True
    ).get_data(as_text=True)
    assert "La synthèse des réponses est publiée." in page and "Retirer la synthèse" in page
    public = client.get("/guidance/test-guidance/responses/", headers=RU).get_data(as_text=True)
    assert "Опубликовано" in public


@pytest.mark.parametrize(
    ("number", "hours", "minutes"),
    [(1, "1 час", "1 минута"), (2, "2 часа", "2 минуты"), (5, "5 часов", "5 минут"), (21, "21 час", "21 минута")],
)
def test_durations_agree_in_number_in_russian(app, number, hours, minutes):
    from datetime import timedelta

    with app.test_request_context(), force_locale("ru"):
        assert describe_duration(timedelta(hours=number)) == hours
        assert describe_duration(timedelta(minutes=number)) == minutes
        assert describe_duration(timedelta(seconds=5)) == "меньше минуты"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "0 комментариев отмечены хотя бы одной темой."),
        (1, "1 комментарий отмечен хотя бы одной темой."),
        (2, "2 комментария отмечены хотя бы одной темой."),
        (5, "5 комментариев отмечены хотя бы одной темой."),
        (21, "21 комментарий отмечен хотя бы одной темой."),
    ],
)
def test_counts_of_tagged_comments_take_the_three_russian_forms(app, number, words):
    with app.test_request_context(), force_locale("ru"):
        singular, plural = "%(num)d comment carries at least one theme.", "%(num)d comments carry at least one theme."
        assert ngettext(singular, plural, number) == words


def test_the_command_line_speaks_english(runner, commented):
    """The CLI's messages are in the catalogue, but it runs in English: scripts and logs read the same."""
    result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "Deleted 0 ended sessions." in result.output
