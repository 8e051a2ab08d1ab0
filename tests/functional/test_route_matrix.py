"""Every route, for every kind of visitor: what status each one gets.

MATRIX has a row for each (method, rule) of app.url_map; a new route fails
`test_every_route_is_in_the_matrix` until it gets a row here. A row says, for each role in ROLES,
the status expected from a request with an empty form (POST) or no query (GET):

- an int: that status;
- LOGIN: a redirect to the log-in page that comes back here (`/auth/login?next=<this path>`);
- HOME: a redirect to the home page;
- ACCOUNT: a redirect to the account page;
- HERE: a redirect back to the address itself.

Every response to a signed-in role (whatever its status) must also be marked `Cache-Control: private, no-store`,
except the public API's (/api/v1/), which answers everyone alike, cookies or not: `public, max-age=60`.

"deactivated" is a reviewer whose account was deactivated after logging in: its cookie is still sent
but no longer loads a user, so it is treated exactly like "anonymous".

Concrete addresses are built from the rule: each <argument> is filled in from `argument_values` (a loaded
document's slug and section key, another user's id, a token that is not valid, ...). A new argument name
needs a value there.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import RequestRedirect

from consult_app.extensions import db
from consult_app.models import Comment, Document, User
from consult_app.services import similarity, themes
from tests.conftest import ROLES
from tests.factories import factory_moderator, make_comment, make_document, make_user

LOGIN = "redirect to log in"
HOME = "redirect home"
ACCOUNT = "302 to /account/"
HERE = "302 back to the same address"
# Rows that end the server-side session the later rows use: they run last.
SESSION_ENDING = {("POST", "/auth/logout")}
SIGNED_IN = ("reviewer", "moderator", "admin")
PRIVATE = "private, no-store"
PUBLIC_API = "/api/v1/"
# The text of the comment in argument_values and of its twin, long enough to be compared for near-duplicates.
TWIN_TEXT = "A thoughtful comment on this section, written twice by the same reviewer."


def everyone(expected) -> dict[str, object]:
    return dict.fromkeys(ROLES, expected)


def signed_in(expected) -> dict[str, object]:
    """Any active account gets `expected`; anonymous and deactivated visitors are sent to log in."""
    return {"anonymous": LOGIN, "deactivated": LOGIN, **dict.fromkeys(SIGNED_IN, expected)}


def admin_only(expected) -> dict[str, object]:
    return {**signed_in(403), "admin": expected}


def moderators(expected) -> dict[str, object]:
    return {**signed_in(403), "moderator": expected, "admin": expected}


MATRIX: dict[tuple[str, str], dict[str, object]] = {
    # reading: open to everyone
    ("GET", "/"): everyone(200),
    ("GET", "/guidance/<slug>/"): everyone(200),
    ("GET", "/guidance/<slug>/v<int:number>/"): everyone(200),
    ("GET", "/guidance/<slug>/<key>/"): everyone(200),
    # the summary of responses, not published yet: a preview for moderators, no such page for anyone else
    ("GET", "/guidance/<slug>/responses/"): {**everyone(404), "moderator": 200, "admin": 200},
    ("GET", "/guidance/<slug>/responses.docx"): {**everyone(404), "moderator": 200, "admin": 200},
    ("POST", "/guidance/<slug>/responses/publication"): moderators(400),
    ("GET", "/guidance/<slug>/versions.atom"): everyone(200),
    ("GET", "/guidance/<slug>/responses.atom"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/privacy"): everyone(200),
    ("GET", "/favicon.ico"): everyone(200),
    # the language switcher: without a language it is a 400 for everyone
    ("POST", "/language"): everyone(400),
    # auth: open to everyone; empty forms and bad tokens are 400
    ("GET", "/auth/register"): everyone(200),
    ("POST", "/auth/register"): everyone(400),
    ("GET", "/auth/resend-confirmation"): everyone(200),
    ("POST", "/auth/resend-confirmation"): everyone(400),
    ("GET", "/auth/confirm/<token>"): everyone(400),
    ("POST", "/auth/confirm/<token>"): everyone(400),
    ("GET", "/auth/change-email/<token>"): everyone(400),
    ("POST", "/auth/change-email/<token>"): everyone(400),
    ("GET", "/auth/login"): everyone(200),
    ("POST", "/auth/login"): everyone(400),
    ("POST", "/auth/logout"): everyone(HOME),
    ("GET", "/auth/reset"): everyone(200),
    ("POST", "/auth/reset"): everyone(400),
    ("GET", "/auth/reset/<token>"): everyone(400),
    ("POST", "/auth/reset/<token>"): everyone(400),
    # account: any signed-in account; empty forms are 400
    ("GET", "/account/"): signed_in(200),
    ("POST", "/account/profile"): signed_in(400),
    ("POST", "/account/password"): signed_in(400),
    ("POST", "/account/email"): signed_in(400),
    # Only a button: it ends the account's other sessions (there are none here) and comes back.
    ("POST", "/account/sessions/others"): signed_in(ACCOUNT),
    ("POST", "/account/notifications"): signed_in(400),
    # The account's interface language: an empty form chooses none (400).
    ("POST", "/account/language"): signed_in(400),
    ("GET", "/account/data.json"): signed_in(200),
    ("POST", "/account/delete"): signed_in(400),
    # administration: admins only; empty forms (about another user) are 400
    ("GET", "/admin/users"): admin_only(200),
    ("POST", "/admin/users/<int:user_id>/role"): admin_only(400),
    ("POST", "/admin/users/<int:user_id>/active"): admin_only(400),
    # guidance upload: an empty upload or apply form is 400
    ("GET", "/admin/guidance"): admin_only(200),
    ("POST", "/admin/guidance"): admin_only(400),
    ("POST", "/admin/guidance/apply"): admin_only(400),
    # comments: the comment in argument_values is someone else's approved comment.
    # A forged post without an active account is refused outright (there is no form to come back to).
    ("POST", "/guidance/<slug>/<key>/"): {**signed_in(400), "anonymous": 403, "deactivated": 403},
    ("GET", "/comments/<int:comment_id>/reply"): signed_in(200),
    ("GET", "/comments/<int:comment_id>/edit"): signed_in(403),
    ("POST", "/comments/<int:comment_id>/edit"): signed_in(403),
    ("POST", "/comments/<int:comment_id>/withdraw"): signed_in(403),
    # moderation: moderators and admins; empty decision or disposition forms are 400
    ("GET", "/moderation/"): moderators(200),
    ("POST", "/moderation/comments/<int:comment_id>/decision"): moderators(400),
    ("POST", "/moderation/bulk"): moderators(400),
    ("GET", "/moderation/comments/<int:comment_id>"): moderators(200),
    # The decision screen's one form: nothing chosen saves nothing and comes back to the screen.
    ("POST", "/moderation/comments/<int:comment_id>"): moderators(HERE),
    ("POST", "/moderation/comments/<int:comment_id>/disposition"): moderators(400),
    ("GET", "/moderation/dashboard"): moderators(200),
    # the worklist; an empty assignment form names nothing to assign: 400
    ("GET", "/moderation/comments/"): moderators(200),
    ("POST", "/moderation/comments/assign"): moderators(400),
    ("POST", "/moderation/comments/<int:comment_id>/assignee"): moderators(400),
    ("GET", "/moderation/export.csv"): moderators(200),
    ("GET", "/moderation/export.json"): moderators(200),
    ("GET", "/moderation/import"): moderators(200),
    ("POST", "/moderation/import"): moderators(400),
    ("POST", "/moderation/import/apply"): moderators(400),
    # themes (the theme in argument_values is the test document's); empty forms are 400 and delete nothing
    ("GET", "/moderation/themes"): moderators(200),
    ("POST", "/moderation/themes"): moderators(400),
    ("GET", "/moderation/themes/<int:theme_id>"): moderators(200),
    ("POST", "/moderation/themes/<int:theme_id>"): moderators(400),
    ("POST", "/moderation/themes/<int:theme_id>/delete"): moderators(400),
    ("POST", "/moderation/themes/tag"): moderators(400),
    # a group of near-duplicate comments (the comment in argument_values and its twin); empty forms are 400
    ("GET", "/moderation/groups/<int:group_id>"): moderators(200),
    ("POST", "/moderation/groups/<int:group_id>/decision"): moderators(400),
    ("POST", "/moderation/groups/<int:group_id>/disposition"): moderators(400),
    ("POST", "/moderation/groups/<int:group_id>/themes"): moderators(400),
    # the public API and its readable page: open to everyone
    ("GET", "/api/"): everyone(200),
    ("GET", "/api/v1/openapi.json"): everyone(200),
    ("GET", "/api/v1/documents"): everyone(200),
    ("GET", "/api/v1/documents/<slug>"): everyone(200),
    ("GET", "/api/v1/documents/<slug>/versions/<int:number>"): everyone(200),
    ("GET", "/api/v1/documents/<slug>/comments"): everyone(200),
    ("GET", "/api/v1/documents/<slug>/statistics"): everyone(200),
}

IGNORED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def routes(app) -> set[tuple[str, str]]:
    """Every (method, rule) the app answers, as MATRIX keys."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED_ENDPOINTS
        for method in rule.methods - IGNORED_METHODS
    }


def argument_values(document: Document, other_user: User, comment: Comment) -> dict[str, object]:
    return {
        "comment_id": comment.id,
        "slug": document.slug,
        "key": document.versions[-1].sections[0].key,
        "number": document.current_version_number,
        "user_id": other_user.id,
        "token": "bad-token",
        "group_id": similarity.group_summaries([comment.id])[comment.id].group_id,
        "theme_id": themes.create_theme(factory_moderator(), document, "Matrix theme").id,
    }


def concrete(rule: str, values: dict[str, object]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in values, f"{rule}: add a value for <{name}> to argument_values()"
        return str(values[name])

    return ARGUMENT.sub(fill, rule)


def outcome(response, url: str) -> object:
    """The response in MATRIX terms: LOGIN, HOME or the status code."""
    if response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        if location.path == "/auth/login" and parse_qs(location.query).get("next") == [urlsplit(url).path]:
            return LOGIN
        if location.path == "/" and not location.query:
            return HOME
        if location.path == urlsplit(url).path and not location.query:
            return HERE
        return f"302 to {response.headers['Location']}"
    return response.status_code


def test_matrix_has_an_expectation_for_every_role():
    for key, expected in MATRIX.items():
        assert set(expected) == set(ROLES), key
        assert expected["deactivated"] == expected["anonymous"], f"{key}: deactivated must be like anonymous"


def test_every_route_is_in_the_matrix(app):
    missing = sorted(routes(app) - set(MATRIX))
    assert not missing, "routes without a row in MATRIX:\n" + "\n".join(f"  {m} {r}" for m, r in missing)


def test_a_route_added_without_a_row_is_caught(database_url):
    """Guards the test above: a route registered anywhere (any blueprint, any method) shows up as missing."""
    from tests.conftest import make_app

    app = make_app(database_url)
    app.add_url_rule("/forgotten/<int:comment_id>", "forgotten", lambda comment_id: "", methods=["GET", "POST"])
    assert sorted(routes(app) - set(MATRIX)) == [
        ("GET", "/forgotten/<int:comment_id>"),
        ("POST", "/forgotten/<int:comment_id>"),
    ]


def test_matrix_has_no_stale_rows(app):
    stale = sorted(set(MATRIX) - routes(app))
    assert not stale, "MATRIX rows for routes that no longer exist:\n" + "\n".join(f"  {m} {r}" for m, r in stale)


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, client, login_as, tmp_path, subtests, role):
    """One app and one log-in per role; each (method, rule) is a subtest, so every mismatch is reported."""
    with app.app_context():
        document = make_document(tmp_path)
        other = make_user("reviewer", email="other@example.org")
        first_key = document.versions[-1].sections[0].key
        comment = make_comment(other, document, key=first_key, status="approved", body=TWIN_TEXT)
        make_comment(other, document, key=first_key, body=TWIN_TEXT)  # a near-duplicate: the two make a group
        values = argument_values(document, other, comment)
        db.session.commit()  # argument_values made a theme
    login_as(role)
    accounts_before = account_snapshot(app)
    session_cookie = client.get_cookie("session")

    for (method, rule), expected in sorted(MATRIX.items(), key=lambda row: row[0] in SESSION_ENDING):
        url = concrete(rule, values)
        with subtests.test(msg=f"{method} {rule} as {role}", url=url):
            # A fresh client with the same session cookie, so that no row sees cookies another row set; a log-out
            # ends the session itself (it is kept in the database), so the rows that do so come last.
            probe = app.test_client()
            if session_cookie is not None:
                probe.set_cookie("session", session_cookie.value)
            response = probe.open(url, method=method, data={} if method == "POST" else None)
            response.close()  # finish streamed downloads now, not whenever the garbage collector gets to them
            assert outcome(response, url) == expected[role]
            if rule.startswith(PUBLIC_API):  # the same for everyone: shared caches may keep it
                assert response.headers.get("Cache-Control") == "public, max-age=60"
            elif role in SIGNED_IN:  # pages, downloads, redirects and errors alike: never kept by any cache
                assert response.headers.get("Cache-Control") == PRIVATE

    # Empty forms change nothing: every account is still there, as it was.
    assert account_snapshot(app) == accounts_before
    # The other reviewer and the factory's moderator who approved their comment, and the role's own account.
    assert len(accounts_before) == (2 if role == "anonymous" else 3)


def account_snapshot(app) -> dict[int, tuple]:
    with app.app_context():
        return {user.id: (user.email, user.role, user.active, user.password_hash, user.display_name)
                for user in db.session.scalars(select(User))}  # fmt: skip


def test_wrong_methods_are_refused_with_405(app, client):
    """An address answers only the methods of its rules: GET or POST elsewhere gets the 405 error page."""
    values = {"slug": "any", "key": "any", "number": 1, "user_id": 1, "token": "bad-token", "comment_id": 1}
    values["group_id"] = values["theme_id"] = 1
    adapter = app.url_map.bind("localhost")
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        url = concrete(rule.rule, values)
        for method in sorted({"GET", "POST"} - rule.methods):
            try:
                adapter.match(url, method=method)
            except MethodNotAllowed:
                pass
            except RequestRedirect:
                # POST /guidance/s/versions.atom: the section rule answers it, at its address with a slash.
                continue
            else:
                continue  # another rule answers this method at this address (e.g. POST /guidance/s/v1/)
            response = client.open(url, method=method)
            assert response.status_code == 405, f"{method} {url}"
            if url.startswith(PUBLIC_API):  # programs get problem details (consult_app/api/problems.py)
                assert response.mimetype == "application/problem+json"
            else:
                assert "That action is not possible at this address." in response.get_data(as_text=True)
            checked.append((method, rule.rule))
    assert ("GET", "/auth/logout") in checked and ("POST", "/account/") in checked
