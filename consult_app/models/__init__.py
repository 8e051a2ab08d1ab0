"""The models, one module per aggregate; importing this package registers them all with the metadata."""

from consult_app.models.comment import (
    Comment,
    CommentKind,
    CommentStatus,
    Disposition,
    ModerationEvent,
    Publication,
    RejectionReason,
)
from consult_app.models.document import ConsultationState, Document, Section, Version
from consult_app.models.mail import MailStatus, OutboxMail
from consult_app.models.session import UserSession
from consult_app.models.similarity import CommentBand, CommentSignature, SimilarGroup
from consult_app.models.theme import Theme, comment_themes
from consult_app.models.user import RespondentType, User

__all__ = [
    "Comment",
    "CommentBand",
    "CommentKind",
    "CommentSignature",
    "CommentStatus",
    "ConsultationState",
    "Disposition",
    "Document",
    "MailStatus",
    "ModerationEvent",
    "OutboxMail",
    "Publication",
    "RejectionReason",
    "RespondentType",
    "Section",
    "SimilarGroup",
    "Theme",
    "User",
    "UserSession",
    "Version",
    "comment_themes",
]
