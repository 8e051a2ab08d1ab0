"""One human label for every stored code: pages, mails, charts and the readable parts of exports use these.

The CSV keeps the codes (a data contract); everything people read goes through `label(kind, code)` here, or
the `label` template global, in the reader's language (the labels are lazy: translated when shown). Keys are
the enum members, which are also their string codes (StrEnum), so a lookup by the plain stored string works too.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from consult_app.models.comment import CommentKind, CommentStatus, Disposition, Publication, RejectionReason
from consult_app.models.user import RespondentType
from consult_app.permissions import Role

KIND_LABELS = {
    CommentKind.GENERAL: _l("General comment"),
    CommentKind.SUGGESTION: _l("Suggestion for a change"),
    CommentKind.CONCERN: _l("Concern"),
    CommentKind.SUPPORT: _l("Support"),
}
# What each kind is for, shown under its choice in the comment form (nothing is preselected).
KIND_HINTS = {
    CommentKind.GENERAL: _l("A view or question about this part of the guidance."),
    CommentKind.SUGGESTION: _l("You propose different or added wording."),
    CommentKind.CONCERN: _l("Something here could cause a problem or is missing."),
    CommentKind.SUPPORT: _l("You agree with this part and want it kept."),
}
PUBLICATION_LABELS = {
    Publication.PUBLIC_NAMED: _l("Public, with my name and organisation"),
    Publication.PUBLIC_ANONYMOUS: _l("Public, anonymously"),
    Publication.PRIVATE: _l("Private: only for the drafting team"),
}
PUBLICATION_HINTS = {
    Publication.PUBLIC_NAMED: _l("Once approved, anyone can read it with your name and organisation."),
    Publication.PUBLIC_ANONYMOUS: _l(
        "Once approved, anyone can read it as “Anonymous reviewer” with how you are "
        "responding (for example “Academia or research”), without your name."
    ),
    Publication.PRIVATE: _l("Never published. Only the moderators and the drafting team read it."),
}
STATUS_LABELS = {
    CommentStatus.PENDING: _l("Awaiting moderation"),
    CommentStatus.APPROVED: _l("Approved"),
    CommentStatus.REJECTED: _l("Rejected"),
    CommentStatus.WITHDRAWN: _l("Withdrawn"),
}
REASON_LABELS = {
    RejectionReason.OFF_TOPIC: _l("Off-topic"),
    RejectionReason.ABUSIVE: _l("Abusive"),
    RejectionReason.SPAM: _l("Spam"),
    RejectionReason.PERSONAL_DATA: _l("Contains personal data"),
    RejectionReason.DUPLICATE: _l("Duplicate"),
    RejectionReason.OTHER: _l("Other"),
}
DISPOSITION_LABELS = {
    Disposition.ACCEPTED: _l("Accepted"),
    Disposition.PARTIALLY_ACCEPTED: _l("Partially accepted"),
    Disposition.NOTED: _l("Noted"),
    Disposition.NOT_ACCEPTED: _l("Not accepted"),
    Disposition.OUT_OF_SCOPE: _l("Out of scope"),
}
# What a missing disposition is called wherever a disposition is shown or filtered on.
NO_DISPOSITION = _l("No disposition yet")
RESPONDENT_LABELS = {
    RespondentType.NATIONAL_STATISTICS_OFFICE: _l("National statistics office"),
    RespondentType.OTHER_GOVERNMENT: _l("Other government body"),
    RespondentType.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    RespondentType.ACADEMIA: _l("Academia or research"),
    RespondentType.PRIVATE_SECTOR: _l("Private sector"),
    RespondentType.CIVIL_SOCIETY: _l("Civil society"),
    RespondentType.INDIVIDUAL: _l("Individual"),
}
ROLE_LABELS = {
    Role.REVIEWER: _l("Reviewer"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}

LABELS: dict[str, Mapping[str, str]] = {
    "kind": KIND_LABELS,
    "publication": PUBLICATION_LABELS,
    "status": STATUS_LABELS,
    "reason": REASON_LABELS,
    "disposition": DISPOSITION_LABELS,
    "respondent_type": RESPONDENT_LABELS,
    "role": ROLE_LABELS,
}


HINTS: dict[str, Mapping[str, str]] = {"kind": KIND_HINTS, "publication": PUBLICATION_HINTS}


def label(kind: str, code: str | None) -> str:
    """The human label of a stored `code` of the given kind ("disposition", "status", ...).

    An empty code gives "" (the caller says what absence means, e.g. NO_DISPOSITION). A code that is not
    known (an old value in the database) is shown as it is rather than failing the page. An unknown kind is
    a programming error and raises KeyError.
    """
    labels = LABELS[kind]
    if not code:
        return ""
    return str(labels.get(code, code))


def stored_label(kind: str, code: str | None) -> str:
    """The English label, for text that is stored (an event's note) rather than shown: stored text must not
    depend on the language of whoever happened to cause it."""
    with force_locale("en"):
        return label(kind, code)


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs in the enum's order, for select boxes and radio groups."""
    return [(str(code), str(text)) for code, text in LABELS[kind].items()]


def section_label(number: int | None, title: str) -> str:
    """How staff and readers name a section: "9. Bias and fairness" (the title alone when unnumbered)."""
    return f"{number}. {title}" if number else title


def hint(kind: str, code: str) -> str:
    """What a choice means, in the reader's language (kinds and publication choices have hints)."""
    return str(HINTS[kind].get(code, ""))
