"""Registration, log-in, error pages and every mail in French and Russian (issue 18).

Mail is written in the recipient's language (their account's), not in the language of whoever's request sent
it: a moderator working in English tells a Russian reviewer in Russian, and the mail worker, which runs outside
any request, writes each author's digest in their own language.
"""

import re

import pytest
from sqlalchemy import select

from consult_app.extensions import db
from consult_app.i18n import in_language
from consult_app.models import OutboxMail, User
from consult_app.services import email_change
from consult_app.services.mail import render_mail
from consult_app.services.passwords import password_problem
from tests.factories import DEFAULT_PASSWORD, make_comment, make_user
from tests.functional.test_auth import REGISTRATION

FRENCH = {"Accept-Language": "fr"}
RUSSIAN = {"Accept-Language": "ru"}
# Words that only an English mail or page would have.
ENGLISH = ("Hello", "Thank you", "Subject", "The link works", "Please", "Your comment", "Reason:", "Check your")
MAIL_TEMPLATES = (
    "account_locked",
    "already_registered",
    "change_email_confirm",
    "change_email_notice",
    "change_email_taken",
    "comment_approved",
    "comment_received",
    "comment_rejected",
    "confirm_email",
    "reset_password",
    "responses",
    "version_changes",
)


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


def user_named(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def set_language(user: User, code: str) -> None:
    user.language = code
    db.session.commit()


# --- registration and log-in --------------------------------------------------------------------------------


def test_registering_in_french_keeps_the_language_and_mails_the_confirmation_in_french(app, client, mailbox):
    page = client.post("/auth/register", data=REGISTRATION, headers=FRENCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="fr"' in html and "Consultez votre messagerie" in html and not english_in(html)
    with app.app_context():
        assert user_named("ada@example.org").language == "fr"
    [message] = mailbox.deliver(1)
    body = message.get_content()
    assert message["Subject"] == "Confirmez votre adresse électronique"
    assert body.startswith("Bonjour Ada Lovelace,\n\nVeuillez confirmer votre adresse électronique")
    assert re.search(r"^http://localhost/auth/confirm/\S+$", body, re.MULTILINE)  # a paragraph of its own still
    assert "Le lien est valable trois jours." in body and not english_in(body)


def test_the_already_registered_mail_is_in_the_language_of_the_attempt(app, client, mailbox):
    with app.app_context():
        set_language(make_user(email="ada@example.org", name="Ada Lovelace"), "en")
    assert client.post("/auth/register", data=REGISTRATION, headers=RUSSIAN).status_code == 200
    [message] = mailbox.deliver(1)
    assert message["Subject"] == "У вас уже есть учётная запись"
    assert message.get_content().startswith("Здравствуйте, Ada Lovelace!\n\n")
    with app.app_context():
        assert user_named("ada@example.org").language == "en"  # an attempt changes nothing on the account


def test_the_registration_form_and_its_errors_in_russian(client):
    bad = {**REGISTRATION, "password": "short", "password_confirm": "short", "accept_terms": ""}
    page = client.post("/auth/register", data=bad, headers=RUSSIAN)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Зарегистрируйтесь, чтобы комментировать" in html
    assert "Используйте не менее 12 символов." in html
    assert "Для регистрации необходимо принять уведомление о конфиденциальности." in html
    assert "privacy notice" not in html and "Register to comment" not in html


def test_login_errors_in_russian(app, client):
    with app.app_context():
        make_user(email="rita@example.org")
    empty = client.post("/auth/login", data={"email": "rita@example.org", "password": ""}, headers=RUSSIAN)
    assert empty.status_code == 400 and "Введите пароль." in empty.get_data(as_text=True)
    wrong = client.post("/auth/login", data={"email": "rita@example.org", "password": "not it"}, headers=RUSSIAN)
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and 'lang="ru"' in html
    assert "Неверный адрес электронной почты или пароль." in html
    assert "<title>Ошибка: Войти – Consult</title>" in html
    for english in ("not right", "Log in", "Forgotten your password?", "Keep me logged in"):
        assert english not in html


def test_signed_in_pages_follow_the_accounts_language_and_flashes_the_pages(app, client):
    with app.app_context():
        set_language(make_user(email="rita@example.org"), "ru")
    response = client.post("/auth/login", data={"email": "rita@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert '<html lang="ru"' in client.get("/", headers=FRENCH).get_data(as_text=True)
    # Signed in, the account's language was also put in the language cookie: logged out, the pages stay in it
    # (and its message too), although the browser asks for French ...
    assert client.get_cookie("consult_language").value == "ru"
    page = client.post("/auth/logout", follow_redirects=True, headers=FRENCH).get_data(as_text=True)
    assert '<html lang="ru"' in page and "Вы вышли из системы." in page
    # ... until the cookie goes: then the browser's language applies again.
    client.delete_cookie("consult_language")
    assert '<html lang="fr"' in client.get("/", headers=FRENCH).get_data(as_text=True)


def test_a_page_that_needs_an_account_says_so_in_french(client):
    page = client.get("/account/", headers=FRENCH, follow_redirects=True)
    assert "Veuillez vous connecter pour voir cette page." in page.get_data(as_text=True)


def test_password_rules_explain_in_the_readers_language(app):
    with app.test_request_context(headers=FRENCH):
        assert password_problem("short") == "Utilisez au moins 12 caractères."
        # zxcvbn's own reason, which it gives in English only, is shown translated.
        problem = password_problem("qwertyuiop[]")
        assert problem.startswith("Ce mot de passe ") and not english_in(problem) and "guess" not in problem
    with app.test_request_context(headers=RUSSIAN):
        assert password_problem("asdfghjkl;lkj") == (
            "Этот пароль слишком легко угадать. Короткие сочетания клавиш легко угадать. "
            "Попробуйте составить его из нескольких не связанных между собой слов."
        )


# --- error pages ----------------------------------------------------------------------------------------------


def test_a_404_page_in_french(client):
    response = client.get("/nowhere/at/all", headers=FRENCH)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and '<html lang="fr"' in html
    assert "<h1>Page introuvable</h1>" in html and "Il n’y a pas de page à cette adresse." in html
    assert "Erreur 404." in html and "Aller à la liste des lignes directrices" in html
    assert "Not Found" not in html and "There is no page" not in html


def test_error_pages_in_russian(client):
    refused = client.post("/auth/login", data={"email": "a\x00@example.org"}, headers=RUSSIAN)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Неверный запрос" in html and "символ NUL (U+0000)" in html
    wrong_method = client.delete("/auth/login", headers=RUSSIAN)
    assert wrong_method.status_code == 405 and "Это действие невозможно" in wrong_method.get_data(as_text=True)


def test_a_bad_link_page_in_french(client):
    page = client.get("/auth/reset/not-a-token", headers=FRENCH)
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "<h1>Lien non valide</h1>" in html
    assert "Ce lien de réinitialisation a expiré" in html and "Se connecter" in html


# --- mail from other people's requests and from the worker ----------------------------------------------------


def test_a_russian_reviewer_gets_the_approval_in_russian_from_an_english_moderator(client, document, login_as, mailbox):
    login_as("moderator")
    author = make_user("reviewer", name="Рита Рецензент")
    set_language(author, "ru")
    comment = make_comment(author, document, body="Please publish me")
    decision = {"decision": "approve", "note": "Спасибо."}
    page = client.post(f"/moderation/comments/{comment.id}/decision", data=decision, follow_redirects=True)
    assert 'lang="en"' in page.get_data(as_text=True)  # the moderator still works in English
    [message] = mailbox.deliver(1)
    body = message.get_content()
    assert message["Subject"] == f"Ваш комментарий {comment.reference} опубликован"
    assert body.startswith("Здравствуйте, Рита Рецензент!\n\n")
    assert f"Ваш комментарий {comment.reference} одобрен модератором и опубликован:\n\nhttp://localhost/" in body
    assert "Примечание модератора: Спасибо." in body and "Благодарим вас за участие в обсуждении." in body
    assert not english_in(body)


def test_a_rejection_gives_its_reason_in_the_authors_language(client, document, login_as, mailbox):
    login_as("moderator")
    author = make_user("reviewer", name="Rita Reviewer")
    set_language(author, "fr")
    comment = make_comment(author, document, body="Buy cheap watches")
    decision = {"decision": "reject", "reason": "off_topic"}
    assert client.post(f"/moderation/comments/{comment.id}/decision", data=decision).status_code == 302
    [message] = mailbox.deliver(1)
    body = message.get_content()
    assert message["Subject"] == f"Votre commentaire {comment.reference} n’a pas été publié"
    assert "\nMotif : Hors sujet\n" in body and "Off-topic" not in body and not english_in(body)


def test_the_workers_digest_is_in_each_authors_language(client, document, login_as, mailbox):
    login_as("moderator")
    french = make_user("reviewer", name="Frédérique", email="fr@example.org")
    russian = make_user("reviewer", name="Пётр", email="ru@example.org")
    set_language(french, "fr")
    set_language(russian, "ru")
    for author in (french, russian):
        comment = make_comment(author, document, status="approved")
        form = {"disposition": "accepted", "response": "Merci / Спасибо."}
        assert client.post(f"/moderation/comments/{comment.id}/disposition", data=form).status_code == 302
    messages = {message["To"]: message for message in mailbox.deliver(2)}
    assert messages["fr@example.org"]["Subject"].startswith("L’équipe de rédaction a répondu à votre commentaire C-")
    assert "\nSuite donnée : Accepté\n" in messages["fr@example.org"].get_content()
    assert messages["ru@example.org"]["Subject"].startswith("Редакционная группа ответила на ваш комментарий C-")
    assert "\nРешение: Принято\n" in messages["ru@example.org"].get_content()
    for message in messages.values():
        assert not english_in(message.get_content()) and "Disposition" not in message.get_content()


def test_an_email_change_mails_each_reader_in_their_own_language(app):
    with app.app_context():
        asker = make_user(email="asker@example.org")
        owner = make_user(email="owner@example.org")
        set_language(asker, "ru")
        set_language(owner, "fr")
        with app.test_request_context(headers={"Accept-Language": "en"}):
            email_change.request_change(asker, "owner@example.org", DEFAULT_PASSWORD)
            email_change.request_change(asker, "free@example.org", DEFAULT_PASSWORD)
            db.session.commit()
        subjects = {(row.recipient, row.subject) for row in db.session.scalars(select(OutboxMail))}
    assert subjects == {
        ("owner@example.org", "Votre adresse électronique est déjà utilisée sur Consult"),
        ("free@example.org", "Подтвердите новый адрес электронной почты"),
        ("asker@example.org", "Запрошено изменение вашего адреса электронной почты"),
    }


# --- every mail template --------------------------------------------------------------------------------------


def mail_context(document) -> dict:
    author = make_user("reviewer", name="Ada")
    comment = make_comment(author, document, status="approved")
    comment.moderation_note = "Note."
    comment.moderation_reason, comment.disposition = "spam", "accepted"
    version = document.versions[-1]
    section = {"title": "Introduction", "status": "changed", "link": "L", "note": "N", "key": "introduction"}
    return {
        "user": author,
        "author": author,
        "comment": comment,
        "document": document,
        "section": version.sections[0],
        "link": "L",
        "account_link": "A",
        "minutes": 15,
        "new_email": "new@example.org",
        "answers": [{"comment": comment, "link": "L"}] * 2,
        "version": version,
        "sections": [type("Section", (), section)] * 2,
        "differences": "D",
        "settings": "S",
    }


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_every_mail_template_is_written_in_the_language_asked_for(document, language):
    context = mail_context(document)
    for name in MAIL_TEMPLATES:
        subject, body = render_mail(f"mail/{name}.txt", language=language, **context)
        assert not english_in(subject + body) and "%(" not in body, (name, subject, body)
        assert "\n\n" in body and body.endswith("\n"), name  # paragraphs kept
    # Labels of stored codes are named in the mail's language too, not in that of whoever caused the mail.
    reason, disposition = {
        "fr": ("Motif : Spam", "Suite donnée : Accepté"),
        "ru": ("Причина: Спам", "Решение: Принято"),
    }[language]
    assert reason in render_mail("mail/comment_rejected.txt", language=language, **context)[1]
    assert disposition in render_mail("mail/responses.txt", language=language, **context)[1]


def test_an_unknown_recipient_language_means_the_requests_language(app):
    with app.test_request_context(headers=FRENCH):
        subject, _ = render_mail("mail/change_email_taken.txt")
        assert subject == "Votre adresse électronique est déjà utilisée sur Consult"
        with in_language("ru"):
            assert render_mail("mail/change_email_taken.txt", language="fr")[0].startswith("Votre adresse")


@pytest.mark.parametrize(
    ("minutes", "subject"),
    [
        (1, "Ваша учётная запись Consult заблокирована на 1 минуту"),
        (2, "Ваша учётная запись Consult заблокирована на 2 минуты"),
        (5, "Ваша учётная запись Consult заблокирована на 5 минут"),
        (21, "Ваша учётная запись Consult заблокирована на 21 минуту"),
    ],
)
def test_the_lock_mail_counts_minutes_in_russian(app_context, minutes, subject):
    user = make_user()
    assert render_mail("mail/account_locked.txt", language="ru", user=user, minutes=minutes, link="L")[0] == subject
