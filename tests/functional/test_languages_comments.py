"""The comment forms, replies, edits and the account page in French and Russian (issue 18): every message a
reviewer reads there, the form errors (WTForms' own included), the words comments.js writes, plural forms, and
the account's language preference."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult_app.comments.panels import FRAGMENT_HEADER
from consult_app.extensions import db
from consult_app.forms import at_most
from consult_app.i18n import COOKIE, in_language
from consult_app.models import User
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user

SECTION = "/guidance/test-guidance/public-good/"
FORM = {"body": "Say who decides.", "kind": "suggestion", "quote": "", "publication": "public_named"}
FETCH = {FRAGMENT_HEADER: "1"}
FR = {"Accept-Language": "fr"}
RU = {"Accept-Language": "ru"}

# English a translated comment form must not show (its labels, buttons, hints and the script's words).
FORM_ENGLISH = (
    "Your comment",
    "What kind of comment is this?",
    "Who may read your comment?",
    "Send comment",
    ">Preview<",
    "characters. You can use",
    "Comment on this passage",
    "Comment on paragraph",
    "Nothing was sent",
    "The connection failed",
    'data-text-close="Close"',
)
ACCOUNT_ENGLISH = (
    "Your account",
    "Your comments",
    "Your profile",
    "Save profile",
    "Mail from Consult",
    "Change your email address",
    "Change your password",
    "Where you are logged in",
    "Log out everywhere else",
    "Download everything we hold about you",
    "Delete my account",
    "You are responding as",
    "Language of pages and mail",
)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def panel(html: str, panel_id: str = "comment-panel") -> str:
    """The form's box alone: the reading page around it is another area's."""
    start = html.index(f'id="{panel_id}"')
    return html[start : html.index("</form>", start)]


def main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def assert_none_of(english: tuple[str, ...], html: str) -> None:
    left = [text for text in english if text in html]
    assert not left, f"English left: {left}"


@pytest.fixture
def published(document):
    author = make_user("reviewer", name="Ada Author")
    return make_comment(author, document, status="approved", quote="serve the public.")


# --- the comment form -----------------------------------------------------------------------------------------


def test_the_section_form_is_french_words_for_the_script_included(client, document, login_as):
    login_as("reviewer")
    box = panel(html_of(client.get(SECTION, headers=FR)))
    for french in (
        "Votre commentaire",
        "De quel type de commentaire s’agit-il ?",
        "Qui peut lire votre commentaire ?",
        "Envoyer le commentaire",
        ">Aperçu<",
        'data-text-passage="Commenter ce passage"',
        'data-text-paragraph="Commenter le paragraphe {number}"',
        'data-text-close="Fermer"',
        'data-text-offline="La connexion a échoué.',
    ):
        assert french in box
    # The limit in French figures ("10 000", a narrow no-break space) and the counter's words for comments.js.
    assert "Jusqu’à 10\u202f000 caractères." in box
    assert 'data-text="{count} sur 10\u202f000 caractères"' in box
    assert_none_of(FORM_ENGLISH, box)


def test_the_section_form_in_english_is_unchanged(client, document, login_as):
    login_as("reviewer")
    box = panel(html_of(client.get(SECTION)))
    assert "Send comment" in box and 'data-text-passage="Comment on this passage"' in box
    assert "Up to 10,000 characters." in box and 'data-text="{count} of 10,000 characters"' in box


def test_errors_of_a_french_send_are_french(client, document, login_as):
    login_as("reviewer")
    response = client.post(SECTION, data={"body": "", "quote": "q" * 2001}, headers=FR)
    assert response.status_code == 400
    html = html_of(response)
    assert "<title>Erreur :" in html
    box = panel(html)
    summary = box[box.index('class="error-summary"') :]
    assert "Un problème est survenu" in summary
    for message in (
        "Rédigez votre commentaire.",
        "Indiquez le type de ce commentaire.",
        "Indiquez qui peut lire votre commentaire.",
        "Citez au plus 2\u202f000 caractères.",
    ):
        assert message in summary
    assert '<span class="visually-hidden">Erreur : </span>' in box
    assert_none_of(("There is a problem", "Write your comment.", "Choose what kind", "Quote at most", "Error:"), box)


def test_a_refusal_of_the_service_is_russian(client, document, login_as):
    """The quote check is the service's (services/comments.py), not the form's: its sentence is translated too."""
    login_as("reviewer")
    response = client.post(SECTION, data={**FORM, "quote": "words that are not there"}, headers={**RU, **FETCH})
    assert response.status_code == 400
    box = html_of(response)
    assert "В этом разделе нет цитируемого фрагмента. Скопируйте его точно из текста." in box
    assert "The quoted passage is not in this section" not in box


def test_a_russian_preview_and_thanks(client, document, login_as):
    login_as("reviewer")
    preview = html_of(client.post(SECTION, data={**FORM, "preview": "1"}, headers={**RU, **FETCH}))
    assert ">Просмотр<" in preview
    assert "Так будет выглядеть ваш комментарий. Он ещё не отправлен." in preview
    assert_none_of(("This is how your comment will look", ">Preview<"), preview)

    thanks = html_of(client.post(SECTION, data=FORM, headers={**RU, **FETCH}))
    assert re.search(r"Спасибо\. Ваш комментарий C-\d{6} ожидает модерации\.", thanks)
    # The comment as its author sees it while it waits: the status note and the buttons.
    assert (
        "Ожидает модерации." in thanks and "Пока модератор не одобрит этот комментарий, его видите только вы." in thanks
    )
    assert re.search(r'Изменить<span class="visually-hidden"> комментарий C-\d{6}</span>', thanks)
    assert re.search(r'Отозвать<span class="visually-hidden"> комментарий C-\d{6}</span>', thanks)
    assert_none_of(("Thank you", "Awaiting moderation.", "Only you can see", "Edit<", "Withdraw<"), thanks)


def test_a_reply_in_russian_on_its_page_and_in_place(client, published, login_as):
    login_as("reviewer")
    page = main(html_of(client.get(f"/comments/{published.id}/reply", headers=RU)))
    assert f"<h1>Ответ на комментарий {published.reference}</h1>" in page
    assert f"Ваш ответ на комментарий {published.reference}" in page
    assert "Отправить ответ" in page and "Цитируемый фрагмент:" in page
    assert_none_of(("Reply to comment", "Your reply to", "Send reply", "Quoted passage", "On <a"), page)

    box = html_of(client.get(f"/comments/{published.id}/reply", headers={**RU, **FETCH}))
    assert f"Ответ на комментарий {published.reference}</h3>" in box
    errors = html_of(client.post(SECTION, data={"body": "", "parent_id": str(published.id)}, headers={**RU, **FETCH}))
    assert "Обнаружена проблема" in errors and "Напишите комментарий." in errors


def test_the_reply_link_under_a_published_comment_is_french(client, published, login_as):
    login_as("reviewer")
    html = html_of(client.get(SECTION, headers=FR))
    assert f'Répondre<span class="visually-hidden"> au commentaire {published.reference}</span>' in html
    assert "Passage cité :" in html
    assert f"to comment {published.reference}" not in html


def test_an_edit_in_french(client, document, login_as):
    author = login_as("reviewer")
    comment = make_comment(db.session.get(User, author.id), document)
    page = main(html_of(client.get(f"/comments/{comment.id}/edit", headers=FR)))
    assert f"<h1>Modifier le commentaire {comment.reference}</h1>" in page
    assert "Vous pouvez le modifier tant qu’un modérateur ne l’a pas examiné." in page
    assert ">Enregistrer<" in page
    assert_none_of(("Edit comment", "You can change it", "Save changes", *FORM_ENGLISH), page)

    refused = client.post(f"/comments/{comment.id}/edit", data={**FORM, "body": ""}, headers=FR)
    assert refused.status_code == 400 and "Rédigez votre commentaire." in html_of(refused)

    saved = client.post(f"/comments/{comment.id}/edit", data=FORM, headers={**FR, **FETCH})
    assert f"Votre commentaire {comment.reference} a été modifié." in html_of(saved)


def test_withdrawing_says_so_in_russian(client, document, login_as):
    author = login_as("reviewer")
    comment = make_comment(db.session.get(User, author.id), document)
    client.post(f"/comments/{comment.id}/withdraw", headers=RU)
    page = html_of(client.get(SECTION, headers=RU))
    assert f"Ваш комментарий {comment.reference} отозван." in page


def test_the_error_page_of_an_unknown_comment_says_why_in_french(client, published, login_as):
    login_as("reviewer")
    response = client.get("/comments/999999/reply", headers=FR)
    assert response.status_code == 404
    assert "Ce commentaire n’existe pas." in html_of(response)


# --- the account page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (FR, ("Votre compte", "Vos commentaires", "Votre profil", "Enregistrer le profil", "Supprimer mon compte")),
        (
            RU,
            (
                "Ваша учётная запись",
                "Ваши комментарии",
                "Ваш профиль",
                "Сохранить профиль",
                "Удалить мою учётную запись",
            ),
        ),
    ],
)
def test_the_account_page_is_in_the_reader_s_language(client, document, login_as, headers, expected):
    author = login_as("reviewer")
    make_comment(db.session.get(User, author.id), document)
    page = main(html_of(client.get("/account/", headers=headers)))
    for text in expected:
        assert text in page
    assert_none_of(ACCOUNT_ENGLISH, page)


def test_account_form_errors_are_french_wtforms_own_included(client, login_as):
    login_as("reviewer")
    profile = html_of(client.post("/account/profile", data={"name": "", "respondent_type": ""}, headers=FR))
    assert "Saisissez votre nom." in profile and "Indiquez en quelle qualité vous répondez." in profile
    # A limit without a message of ours: WTForms' own sentence, translated by Flask-WTF (WTF_I18N_ENABLED).
    password = client.post(
        "/account/password",
        data={"current_password": "x" * 300, "password": "", "password_confirm": ""},
        headers=FR,
    )
    assert password.status_code == 400
    html = html_of(password)
    assert "Le champ ne peut pas contenir plus de 256 caractères." in html
    assert "Choisissez un mot de passe." in html
    assert_none_of(("Field cannot be longer", "Choose a password.", "There is a problem"), html)


def test_plural_forms_of_a_limit_in_russian(app):
    with app.test_request_context(), in_language("ru"):
        said = {number: str(at_most(number)) for number in (1, 2, 5, 21, 1000)}
    assert said[1] == "Используйте не более 1 символа."
    assert said[2] == "Используйте не более 2 символов."
    assert said[5] == "Используйте не более 5 символов."
    assert said[21] == "Используйте не более 21 символа."
    assert said[1000] == "Используйте не более 1\xa0000 символов."


def test_ending_other_sessions_counts_them_in_russian(app, client, login_as):
    user = login_as("reviewer")
    others = [app.test_client() for _ in range(2)]
    for other in others:
        other.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    response = client.post("/account/sessions/others", headers=RU, follow_redirects=True)
    html = html_of(response)
    assert re.search(r"Выполнен выход на всех других устройствах \(заверш\w+ \d+ сеанс\w*\)\.", html)


# --- the language preference ----------------------------------------------------------------------------------


def test_choosing_a_language_on_the_account_page(app, client, login_as):
    user = login_as("reviewer")
    page = html_of(client.get("/account/"))
    assert 'id="language-title"' in page and '<option lang="fr" value="fr">Français</option>' in page
    response = client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/#language-title")
    assert f"{COOKIE}=fr" in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.id == user.id)) == "fr"
    # The account's choice wins over the browser's: English asked for, French shown, the message in French too.
    client.delete_cookie(COOKIE)
    after = html_of(client.get("/account/", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in after
    assert "Langue enregistrée : Français." in after
    assert "Votre langue : Français." in after and '<option lang="fr" selected value="fr">' in after
    assert client.get("/account/data.json").get_json()["account"]["language"] == "fr"


@pytest.mark.parametrize("value", ["de", "", "fr-CA", "FR"])
def test_a_language_not_offered_is_a_400_with_a_message(app, client, login_as, value):
    user = login_as("reviewer")
    response = client.post("/account/language", data={"language": value})
    assert response.status_code == 400
    assert "Choose English, Français or Русский." in html_of(response)
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.id == user.id)) is None


def test_the_language_form_needs_its_csrf_token(app, client, login_as):
    login_as("reviewer")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/account/language", data={"language": "ru"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_visitor_cannot_choose_an_account_language(client):
    response = client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_data_download_says_in_which_language_each_comment_was_written(client, document, login_as):
    login_as("reviewer")
    client.post(SECTION, data=FORM, headers=RU)
    [comment] = client.get("/account/data.json").get_json()["comments"]
    assert comment["language"] == "ru"
