"""Signed-in readers' section pages from what every reader shares, rendered once and kept.

A visitor's whole page is cached (consult_app/http_cache.py). A signed-in reader's page is theirs alone (their
name, CSRF tokens, the comment form, their own pending comments), but most of it is what everyone sees. Three
things are kept, each under the visitors' page tag (the same change token or fingerprint, the same language,
so a change that visitors see renews them too) and with what else it depends on:

- The whole page of a reviewer who sees on the section only what visitors see (`reviewer_page`), rendered once
  for a stand-in account, an unsaved reviewer who wrote nothing; each request puts in the reader's name and
  CSRF token. Most readers who comment are such reviewers on most sections.
- For other readers (a moderator, a reviewer with a pending comment on the section), the section's text cut into
  blocks with the published comments in its margins and the list of the other published comments
  (`section_parts`), rendered as nobody in particular, when the reader sees only those; else both are
  rendered for the reader alone, as before (merging personal comments into shared markup would need the thread
  macros cut into smaller pieces).
- The comment form as it opens (`empty_comment_form`), the same for everyone but the CSRF token.

Nothing personal may enter what is kept: tests/functional/test_shared_parts.py searches it for other readers'
pending and private comments, names, tokens and flashed messages, and checks that every page is the one the
reader got before, byte for byte.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, g, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from consult_app import http_cache
from consult_app.extensions import login_manager
from consult_app.i18n import current_language
from consult_app.kept import in_app
from consult_app.models import ConsultationState, User
from consult_app.permissions import Role, is_signed_in
from consult_app.services import annotations, comments, reading

TEMPLATE = "reading/_section_parts.html"
FORM_TEMPLATE = "reading/_comment_form.html"
# Where the token and the reader's name go in what is kept: random per process, so that no text anyone writes
# (a comment quoting these very words) can be taken for them and replaced by someone's token.
CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"
NAME_STAND_IN = f"name-{secrets.token_hex(16)}".encode()
SIGNED_TOKENS_KEY = "consult_signed_csrf_tokens"
SIGNED_TOKENS = 4096  # per process: the sessions active in the last minutes


@dataclass(frozen=True)
class SectionParts:
    """What section.html shows of the annotated section (kept as rendered markup: immutable, shared by threads)."""

    text: Markup  # the blocks with their margins
    unplaced: Markup  # the published (and, rendered for one reader, their own) comments no block took; "" if none
    placed_count: int


def reviewer_page(slug: str, key: str, render: Callable[[], str]) -> Response | None:
    """A reviewer's section page, whole, when it may be the one every reviewer gets, else None.

    A reviewer (not a moderator: their header counts the queue) who sees on the section only what visitors see,
    with no message waiting, gets the same page as every other such reviewer of this language but for their name
    in the header and their CSRF token. That page is rendered once for a stand-in account, an unsaved reviewer
    who wrote nothing, with `render()` (the same code as anyone's page), kept beside the visitors' page under its
    tag, and each request puts in the reader's name and token. Everything else a reader could own comes from the
    account rendered, which is the stand-in's, never someone's."""
    if not (http_cache.enabled() and is_signed_in(current_user) and current_user.role == Role.REVIEWER.value):
        return None
    if session.get("_flashes"):
        return None
    if not reading.sees_only_published(slug, key, current_user):
        g.consult_sees_more = True  # section_parts() need not ask again
        return None
    token = csrf_token()  # before the stand-in's render, which then finds it made and shows it
    kept = http_cache.shared_part(
        lambda: reading.section_fingerprint(slug, key), ("reviewer page",), lambda: _as_stand_in(render, token)
    )
    name = escape(current_user.display_name).encode()
    return http_cache.personal(kept.replace(CSRF_STAND_IN.encode(), token.encode()).replace(NAME_STAND_IN, name))


def _as_stand_in(render: Callable[[], str], token: str) -> bytes:
    """`render()` with the stand-in signed in instead of the reader; their token and the stand-in's name are
    replaced by markers. Whatever the render left in `g` (loaded rows, counts) is forgotten afterwards."""
    stand_in = User(id=0, display_name=NAME_STAND_IN.decode(), role=Role.REVIEWER.value, active=True)
    stand_in.language = current_language()  # the reader's language, chosen before (and kept for the request)
    before, reader = set(g), g._login_user
    g._login_user, g.consult_stand_in = stand_in, True
    try:
        html = render()
    finally:
        g._login_user = reader
        g.pop("consult_stand_in")
        for name in set(g) - before - {"consult_part_tag"}:
            g.pop(name, None)
    return html.replace(token, CSRF_STAND_IN).encode()


def section_parts(page: reading.SectionPage) -> SectionParts:
    is_open = page.document.consultation_state() is ConsultationState.OPEN
    can_write = is_open and is_signed_in(current_user)
    if not is_signed_in(current_user) or g.get("consult_stand_in"):
        # A page kept whole (a visitor's, or the one every reviewer gets): nothing to gain here.
        return _render(page, page.threads, can_write, is_open)
    if g.get("consult_sees_more") or not reading.sees_only_published(page.document, page.section.key, current_user):
        return _render(page, page.threads, can_write, is_open)
    document, key = page.document, page.section.key

    def shared() -> SectionParts:
        nobody = login_manager.anonymous_user()
        threads = comments.section_threads(document, key, nobody)
        return _render(page, threads, can_write, is_open, viewer=nobody)

    fingerprint = lambda: reading.section_fingerprint(document.slug, key)  # noqa: E731 - called only when needed
    return http_cache.shared_part(fingerprint, ("section", can_write, is_open), shared)


def empty_comment_form(page: reading.SectionPage, form) -> Markup | None:
    """The section's comment form as it opens (nothing sent yet): the same markup for every reader of this
    language but for the CSRF token. Kept with a stand-in where the token goes, and given this request's token.
    None when the page shows no form (the consultation is not open)."""
    if page.document.consultation_state() is not ConsultationState.OPEN:
        return None
    token = csrf_token()

    def shared() -> str:
        action = url_for("comments.post", slug=page.document.slug, key=page.section.key)
        from consult_app.comments.views import comment_form_texts  # the hints the form shows (no import cycle)

        context = {"form": form, "action": action, **comment_form_texts()}
        return _template(FORM_TEMPLATE).render(context).replace(token, CSRF_STAND_IN)

    slug, key = page.document.slug, page.section.key
    kept = http_cache.shared_part(lambda: reading.section_fingerprint(slug, key), ("comment form",), shared)
    return Markup(kept.replace(CSRF_STAND_IN, token))  # noqa: S704 - rendered by the template, the token is URL-safe


def csrf_token() -> str:
    """Flask-WTF's CSRF token for this request. Signing it took 5 % of a kept reviewer page (profiled), and
    tokens that do not expire (WTF_CSRF_TIME_LIMIT None, as configured) stay valid for the whole session: the
    signed token is kept per session secret in this process and handed to Flask-WTF as this request's (it
    reads `g.csrf_token` before signing anew)."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    kept = in_app(SIGNED_TOKENS_KEY, SIGNED_TOKENS)
    secret = session.get(field)
    token = kept.get(secret) if isinstance(secret, str) else None
    if token is not None:
        setattr(g, field, token)
        return token
    token = generate_csrf()  # makes the session's secret when it has none yet
    kept.put(session[field], token)
    return token


def _render(page: reading.SectionPage, threads, can_write: bool, can_reply: bool, viewer=None) -> SectionParts:
    """Both parts from one template's exported variables, for `viewer` (the reader when None). Rendered without
    the context processors, which the whole page runs (a moderator's would count the queue again): the thread
    macros need only the reader, given here, and the environment's globals."""
    annotated = annotations.annotate(page.section.html, threads)
    context = {
        "annotated": annotated,
        "document": page.document,
        "current": page.version.number,
        "can_write": can_write,
        "can_reply": can_reply,
        "current_user": current_user._get_current_object() if viewer is None else viewer,
    }
    module = _template(TEMPLATE).make_module(context)
    # Block assignments of an autoescaped template are Markup already: escaped where the template escapes.
    return SectionParts(module.text, module.unplaced, annotated.placed_count)


def _template(name: str):
    return current_app.jinja_env.get_template(name)
