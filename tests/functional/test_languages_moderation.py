"""A French (or Russian) moderator works the queue, the decision screen and the worklist in their language:
pages, flashes, refusals, the script's texts and the history in words; what is stored stays English."""

import html as markup
import json
import re

import pytest
from sqlalchemy import select, update

from consult_app.extensions import db
from consult_app.models import Comment, ModerationEvent, User
from tests.factories import make_comment, make_user

JSON = {"Accept": "application/json"}

# English that must not be left in the main content of a translated moderation page.
ENGLISH = (
    "Moderation queue",
    "awaiting moderation",
    "Approve selected",
    "Reject selected",
    "Keyboard shortcuts",
    "Select all on this page",
    "Reason for rejecting",
    "Note to the author",
    "There is a problem",
    "Every comment",
    "Assigned to",
    "Previous page",
    "Disposition",
    "History",
    "Submitted",
    "Save",
    "Show comments",
    "Clear filters",
    "Any document",
    "Oldest first",
    "match these filters",
)


@pytest.fixture
def author():
    return make_user("reviewer", name="Rita Reviewer", respondent_type="civil_society")


@pytest.fixture
def french(app, login_as):
    """A moderator whose account chose French (the browser asks for French too)."""
    return speaking("fr", app, login_as)


def speaking(language: str, app, login_as) -> User:
    moderator = login_as("moderator")
    with app.app_context():
        db.session.execute(update(User).where(User.id == moderator.id).values(language=language))
        db.session.commit()
    return moderator


def main(html: str) -> str:
    """The page's main content, without tags and attribute values."""
    content = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"<[^>]+>", " ", content)


def no_english(html: str) -> None:
    text = main(html)
    left = [phrase for phrase in ENGLISH if phrase in text]
    assert not left, left


def script_forms(html: str, marker: str) -> dict[str, str]:
    """The JSON of the data-forms attribute that follows `marker` (the sentence per plural category)."""
    found = re.search(re.escape(marker) + r'[^>]*? data-forms="([^"]+)"', html)
    return json.loads(markup.unescape(found.group(1)))


def fresh(comment: Comment) -> Comment:
    db.session.expire_all()
    return db.session.get(Comment, comment.id)


def test_the_queue_in_french(client, document, author, french):
    first, second = make_comment(author, document), make_comment(author, document)
    response = client.get("/moderation/", headers={"Accept-Language": "fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    assert "<h1>File de modération</h1>" in html
    assert "2 commentaires en attente de modération, les plus anciens en premier." in html
    assert "Approuver la sélection" in html and "Raccourcis clavier" in html and "Société civile" in html
    assert f'aria-label="Sélectionner {first.reference}"' in html and second.reference in html
    no_english(html)
    # The script's texts come translated, in every plural form of the language, from data-* attributes.
    selected = script_forms(html, "data-selected-count")
    assert (selected["one"], selected["other"]) == ("{n} sélectionné", "{n} sélectionnés")
    waiting = script_forms(html, 'id="queue-status"')
    assert waiting["other"] == "{n} commentaires en attente de modération, les plus anciens en premier."
    assert (
        'data-clear-text="Effacer la sélection"' in html
        and 'data-select-text="Tout sélectionner sur cette page"' in html
    )


def test_a_french_moderator_approves_and_rejects(client, document, author, french):
    approved, rejected, refused = (make_comment(author, document) for _ in range(3))
    page = client.post(
        f"/moderation/comments/{approved.id}/decision", data={"decision": "approve"}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"{approved.reference} approuvé." in page and "approved." not in page
    page = client.post(
        f"/moderation/comments/{rejected.id}/decision",
        data={"decision": "reject", "reason": "off_topic", "note": "Pas ici."},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"{rejected.reference} rejeté." in page
    assert (fresh(approved).status, fresh(rejected).status) == ("approved", "rejected")
    # The audit trail stores English (its note is the reason's English label), whoever caused it.
    event = db.session.scalar(
        select(ModerationEvent).where(ModerationEvent.comment_id == rejected.id, ModerationEvent.field == "status")
    )
    assert event.reason == "Off-topic: Pas ici."
    # ... and the history shows it in the reader's language, made from the stored codes and label.
    screen = client.get(f"/moderation/comments/{rejected.id}").get_data(as_text=True)
    assert "<td>Rejeté</td>" in screen and "<td>Hors sujet : Pas ici.</td>" in screen

    # Refused: on the page at the card, and as JSON for the script (which opens the panel at `field`).
    response = client.post(f"/moderation/comments/{refused.id}/decision", data={"decision": "reject"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f"{refused.reference} : Choisissez un motif de rejet." in html
    assert "<h2>Un problème est survenu</h2>" in html
    no_english(html)
    answer = client.post(f"/moderation/comments/{refused.id}/decision", data={"decision": "reject"}, headers=JSON)
    assert answer.json == {
        "error": f"{refused.reference} : Choisissez un motif de rejet.",
        "reference": refused.reference,
        "field": "reason",
    }
    again = client.post(f"/moderation/comments/{approved.id}/decision", data={"decision": "approve"}, headers=JSON)
    assert again.status_code == 409
    assert again.json["error"] == f"Il a déjà été statué sur {approved.reference} (approuvé)."
    done = client.post(f"/moderation/comments/{refused.id}/decision", data={"decision": "approve"}, headers=JSON)
    assert done.json["message"] == f"{refused.reference} approuvé."


def test_bulk_decisions_agree_in_number(client, document, author, french):
    comments = [make_comment(author, document) for _ in range(2)]
    ids = [str(comment.id) for comment in comments]
    answer = client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": ids}, headers=JSON)
    references = ", ".join(comment.reference for comment in comments)
    assert answer.status_code == 200 and answer.json["message"] == f"{references} approuvés."
    nothing = client.post("/moderation/bulk", data={"decision": "approve", "comment_ids": ids}, headers=JSON)
    assert nothing.status_code == 409 and nothing.json["error"].startswith("Rien n’a été modifié. Il a déjà été statué")


def test_the_decision_screen_in_french(client, document, author, french):
    comment = make_comment(author, document, body="Merci pour ce texte.", quote="serve the public.")
    html = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    assert f"<h1>Commentaire {comment.reference}</h1>" in html
    for words in ("Suite donnée", "Réponse de l’équipe de rédaction", "Historique", "Enregistrer", "Décision"):
        assert words in html, words
    assert "Pas maintenant : le laisser en attente de modération" in html and "Choisissez une suite donnée" in html
    assert "pas encore de décision" in html
    no_english(html)

    saved = client.post(
        f"/moderation/comments/{comment.id}",
        data={"decision": "approve", "disposition": "accepted", "response": "Nous le précisons."},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"{comment.reference} approuvé et suite donnée enregistrée." in saved
    # The history in words, made when shown from the stored codes.
    assert "<td>Approuvé</td>" in saved and "<td>Suite donnée : Accepté</td>" in saved
    client.post(f"/moderation/comments/{comment.id}", data={"disposition": "noted", "response": "Pris en note."})
    page = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    assert "<td>Suite donnée modifiée : Accepté remplacé par Pris en note</td>" in page
    no_english(page)
    stored = db.session.scalars(
        select(ModerationEvent.reason).where(
            ModerationEvent.comment_id == comment.id, ModerationEvent.field == "disposition"
        )
    ).all()
    assert stored == ["Nous le précisons.", "Pris en note."]

    # A disposition alone (the route scripts use), and a refusal on the screen.
    flashed = client.post(
        f"/moderation/comments/{comment.id}/disposition",
        data={"disposition": "out_of_scope", "response": "Ailleurs."},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Suite donnée à {comment.reference} enregistrée." in flashed
    refused = client.post(f"/moderation/comments/{comment.id}", data={"disposition": "", "response": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Une suite donnée ne peut pas être annulée" in html
    assert "Rien n’a été enregistré ; ce que vous avez saisi figure toujours dans le formulaire." in html


def test_the_worklist_in_french(client, document, author, french):
    approved = make_comment(author, document, status="approved", body="The survey design needs work.")
    make_comment(author, document, body="Another view entirely.")
    html = client.get("/moderation/comments/").get_data(as_text=True)
    assert "<h1>Tous les commentaires</h1>" in html and "2 commentaires correspondent." in html
    assert "Les plus anciens en premier" in html and "Attribuer la sélection" in html and "Non attribué" in html
    assert "Pas encore de suite donnée" in html
    no_english(html)

    filtered = client.get("/moderation/comments/?status=approved").get_data(as_text=True)
    assert "1 commentaire correspond à ces filtres." in filtered and approved.reference in filtered
    found = client.get("/moderation/comments/?q=survey").get_data(as_text=True)
    assert "1 commentaire correspond à ces filtres." in found and "<mark>survey</mark>" in found
    none = client.get("/moderation/comments/?q=nowhere").get_data(as_text=True)
    assert "0 commentaire correspond à ces filtres." in none
    assert "Aucun commentaire ne correspond à ces filtres." in none
    no_english(none)

    bad = client.get("/moderation/comments/?status=lost")
    assert bad.status_code == 400 and "Valeur inconnue pour « status » : « lost »" in bad.get_data(as_text=True)

    assigned = client.post(
        "/moderation/comments/assign",
        data={"comment_ids": [f"{approved.id}:none"], "assignee": str(french.id), "next": "/moderation/comments/"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Vous sont attribués : {approved.reference}." in assigned
    screen = client.get(f"/moderation/comments/{approved.id}").get_data(as_text=True)
    assert "<td>Attribué à Moderator" in screen


@pytest.mark.parametrize(
    ("count", "words"), [(1, "1 комментарий ожидает"), (2, "2 комментария ожидают"), (5, "5 комментариев ожидают")]
)
def test_the_queue_counts_in_russian(client, document, author, app, login_as, count, words):
    speaking("ru", app, login_as)
    for _ in range(count):
        make_comment(author, document)
    html = client.get("/moderation/").get_data(as_text=True)
    assert '<html lang="ru"' in html and "<h1>Очередь модерации</h1>" in html
    assert f"{words} модерации; сначала самые ранние." in html
    no_english(html)
    # The script's count sentence in all three forms, for what is left after a decision.
    forms = script_forms(html, 'id="queue-status"')
    assert forms["one"].startswith("{n} комментарий ") and forms["few"].startswith("{n} комментария ")
    assert forms["many"].startswith("{n} комментариев ")


def test_english_stays_as_it_was(client, document, author, login_as):
    login_as("moderator")
    make_comment(author, document)
    html = client.get("/moderation/").get_data(as_text=True)
    assert '<html lang="en"' in html and "1 comment awaiting moderation, oldest first." in html
    assert "Approve selected" in html


def test_the_author_is_told_in_their_own_language_not_the_moderators(client, document, author, french, mailbox):
    comment = make_comment(author, document)  # the author chose no language: English
    client.post(
        f"/moderation/comments/{comment.id}/decision",
        data={"decision": "reject", "reason": "off_topic", "note": "Non."},
    )
    (message,) = mailbox.deliver(1)
    assert message["Subject"] == f"Your comment {comment.reference} was not published"
    assert "Reason: Off-topic" in message.get_content()
