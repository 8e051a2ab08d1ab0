"""One human label for every stored code: pages, mails, charts and the readable parts of exports use these.

The CSV keeps the codes (a data contract); everything people read goes through `label(kind, code)` here, or
the `label` template global. Keys are the enum members, which are also their string codes (StrEnum), so a
lookup by the plain stored string works too.
"""

from __future__ import annotations

from collections.abc import Mapping

from consult_app.models.comment import CommentKind, CommentStatus, Disposition, Publication, RejectionReason
from consult_app.models.user import RespondentType
from consult_app.permissions import Role

KIND_LABELS = {
    CommentKind.GENERAL: "General comment",
    CommentKind.SUGGESTION: "Suggestion for a change",
    CommentKind.CONCERN: "Concern",
    CommentKind.SUPPORT: "Support",
}
# What each kind is for, shown under its choice in the comment form (nothing is preselected).
KIND_HINTS = {
    CommentKind.GENERAL: "A view or question about this part of the guidance.",
    CommentKind.SUGGESTION: "You propose different or added wording.",
    CommentKind.CONCERN: "Something here could cause a problem or is missing.",
    CommentKind.SUPPORT: "You agree with this part and want it kept.",
}
PUBLICATION_LABELS = {
    Publication.PUBLIC_NAMED: "Public, with my name and organisation",
    Publication.PUBLIC_ANONYMOUS: "Public, anonymously",
    Publication.PRIVATE: "Private: only for the drafting team",
}
PUBLICATION_HINTS = {
    Publication.PUBLIC_NAMED: "Once approved, anyone can read it with your name and organisation.",
    Publication.PUBLIC_ANONYMOUS: "Once approved, anyone can read it as “Anonymous reviewer” with how you are "
    "responding (for example “Academia or research”), without your name.",
    Publication.PRIVATE: "Never published. Only the moderators and the drafting team read it.",
}
STATUS_LABELS = {
    CommentStatus.PENDING: "Awaiting moderation",
    CommentStatus.APPROVED: "Approved",
    CommentStatus.REJECTED: "Rejected",
    CommentStatus.WITHDRAWN: "Withdrawn",
}
REASON_LABELS = {
    RejectionReason.OFF_TOPIC: "Off-topic",
    RejectionReason.ABUSIVE: "Abusive",
    RejectionReason.SPAM: "Spam",
    RejectionReason.PERSONAL_DATA: "Contains personal data",
    RejectionReason.DUPLICATE: "Duplicate",
    RejectionReason.OTHER: "Other",
}
DISPOSITION_LABELS = {
    Disposition.ACCEPTED: "Accepted",
    Disposition.PARTIALLY_ACCEPTED: "Partially accepted",
    Disposition.NOTED: "Noted",
    Disposition.NOT_ACCEPTED: "Not accepted",
    Disposition.OUT_OF_SCOPE: "Out of scope",
}
# What a missing disposition is called wherever a disposition is shown or filtered on.
NO_DISPOSITION = "No disposition yet"
RESPONDENT_LABELS = {
    RespondentType.NATIONAL_STATISTICS_OFFICE: "National statistics office",
    RespondentType.OTHER_GOVERNMENT: "Other government body",
    RespondentType.INTERNATIONAL_ORGANISATION: "International organisation",
    RespondentType.ACADEMIA: "Academia or research",
    RespondentType.PRIVATE_SECTOR: "Private sector",
    RespondentType.CIVIL_SOCIETY: "Civil society",
    RespondentType.INDIVIDUAL: "Individual",
}
ROLE_LABELS = {
    Role.REVIEWER: "Reviewer",
    Role.MODERATOR: "Moderator",
    Role.ADMIN: "Administrator",
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


def label(kind: str, code: str | None) -> str:
    """The human label of a stored `code` of the given kind ("disposition", "status", ...).

    An empty code gives "" (the caller says what absence means, e.g. NO_DISPOSITION). A code that is not
    known (an old value in the database) is shown as it is rather than failing the page. An unknown kind is
    a programming error and raises KeyError.
    """
    labels = LABELS[kind]
    if not code:
        return ""
    return labels.get(code, code)


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs in the enum's order, for select boxes and radio groups."""
    return [(str(code), text) for code, text in LABELS[kind].items()]


def section_label(number: int | None, title: str) -> str:
    """How staff and readers name a section: "9. Bias and fairness" (the title alone when unnumbered)."""
    return f"{number}. {title}" if number else title
