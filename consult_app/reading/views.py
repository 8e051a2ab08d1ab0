from flask import abort, current_app, render_template, request, send_from_directory
from flask_babel import gettext
from flask_login import current_user

from consult_app import http_cache
from consult_app.extensions import limiter
from consult_app.permissions import can_comment
from consult_app.reading import bp, parts
from consult_app.services import annotations, reading
from consult_app.services.guidance import compare_versions
from consult_app.services.privacy import privacy_notice

FAVICON_MAX_AGE = 7 * 24 * 3600


@limiter.request_filter
def _reading_is_never_rate_limited() -> bool:
    """Nothing here has a rate limit. Saying so up front spares every reading request the limiter's search for
    limits that apply (a tenth of the cost of a cached page). A limit on a reading route would need this gone."""
    return request.blueprint == "reading"


def _document_or_404(slug: str):
    document = reading.find_document(slug)
    if document is None:
        abort(404, description=gettext("There is no guidance document called “%(slug)s”.", slug=slug))
    return document


@bp.get("/")
def index():
    return render_template("reading/index.html", documents=reading.list_documents())


# The reading pages: a visitor who is not signed in may get a 304 or a cached page, found with one small query
# (the page's fingerprint, see http_cache); `render` runs only when the page must be made.


@bp.get("/guidance/<slug>/")
def document(slug: str):
    def render() -> str:
        page = reading.document_page(_document_or_404(slug), current_user)
        margins = annotations.annotate_version(page.document, page.version)
        return render_template(
            "reading/document.html", page=page, document=page.document, version=page.version, margins=margins
        )

    return http_cache.reading_page(lambda: reading.document_fingerprint(slug), render)


@bp.get("/guidance/<slug>/v<int:number>/")
def version(slug: str, number: int):
    def render() -> str:
        document = _document_or_404(slug)
        old = reading.version_with_sections(document, number)
        if old is None:
            abort(404, description=gettext("This document has no version %(number)s.", number=number))
        current = reading.version_with_sections(document)
        comparisons = compare_versions(old, current) if old.number != current.number else []
        return render_template(
            "reading/version.html", document=document, version=old, current=current, comparisons=comparisons
        )

    return http_cache.reading_page(lambda: reading.version_fingerprint(slug, number), render)


def section_page_or_404(slug: str, key: str) -> reading.SectionPage:
    page = reading.section_page(_document_or_404(slug), key, current_user)
    if page is None:
        abort(404, description=gettext("This document has no section “%(key)s”.", key=key))
    return page


def render_section(page: reading.SectionPage, form=None, preview_html: str | None = None, status: int = 200):
    """The section page; the comments blueprint reuses it to show a preview or a form with errors."""
    from consult_app.comments.forms import CommentForm

    empty_form = None
    if form is None and can_comment(current_user):
        # Only for those who may comment: a form puts a CSRF token in the session, and a visitor's page must
        # set no cookie, to be the same for every visitor (see http_cache).
        form = CommentForm(formdata=None)
        empty_form = parts.empty_comment_form(page, form)  # the same for everyone but the token: kept (parts.py)
    # The text with its margins and the published comments: shared between readers when they may be (parts.py).
    annotated = parts.section_parts(page)
    html = render_template(
        "reading/section.html",
        page=page,
        annotated=annotated,
        form=form,
        empty_form=empty_form,
        preview_html=preview_html,
    )
    return html, status


@bp.get("/guidance/<slug>/<key>/")
def section(slug: str, key: str):
    def render() -> str:
        html, _ = render_section(section_page_or_404(slug, key))
        return html

    # A reviewer who sees what visitors see gets the page kept for every such reviewer, name and token put in.
    kept = parts.reviewer_page(slug, key, render)
    if kept is not None:
        return kept
    return http_cache.reading_page(lambda: reading.section_fingerprint(slug, key), render)


@bp.get("/healthz")
def healthz():
    if reading.database_answers():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/privacy")
def privacy():
    from consult_app.labels import PUBLICATION_LABELS

    return render_template("reading/privacy.html", notice=privacy_notice(), publications=PUBLICATION_LABELS)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answering spares every first visit a 404."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=FAVICON_MAX_AGE
    )
