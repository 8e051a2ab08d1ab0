"""Accounts: reviewers, moderators and admins."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from consult_app.extensions import db
from consult_app.models.types import UTCDateTime, sql_values, utcnow
from consult_app.permissions import Role

EMAIL_MAX = 254
NAME_MAX = 100
ORGANISATION_MAX = 200
COUNTRY_MAX = 100
# scrypt has no input limit (bcrypt would silently cut at 72 bytes); werkzeug salts it for us. Its work
# factor is werkzeug's (N=2^15, about 0.13 s a hash here); the app's PASSWORD_HASH_METHOD setting can name
# another one (config.py: only the tests lower it).
PASSWORD_METHOD = "scrypt"  # noqa: S105 - a hashing method name


def password_method() -> str:
    """The hashing method of the running app (PASSWORD_HASH_METHOD), or PASSWORD_METHOD outside one."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else PASSWORD_METHOD


class RespondentType(enum.StrEnum):
    NATIONAL_STATISTICS_OFFICE = "national_statistics_office"
    OTHER_GOVERNMENT = "other_government"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    ACADEMIA = "academia_research"
    PRIVATE_SECTOR = "private_sector"
    CIVIL_SOCIETY = "civil_society"
    INDIVIDUAL = "individual"

    @property
    def label(self) -> str:
        from consult_app.labels import RESPONDENT_LABELS  # labels imports this module

        return RESPONDENT_LABELS[self]


class User(UserMixin, db.Model):
    """A registered account. Its log-in sessions are rows of `models.session.UserSession`."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_values(Role)})", name="role"),
        CheckConstraint(f"respondent_type IN ({sql_values(RespondentType)})", name="respondent_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see services.accounts.normalise_email), so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX), default="")
    respondent_type: Mapped[str] = mapped_column(String(40), default=RespondentType.INDIVIDUAL.value)
    country: Mapped[str] = mapped_column(String(COUNTRY_MAX), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.REVIEWER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Mail from Consult" on the account page: whether the author hears about the drafting team's responses.
    notify_responses: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # "Mail from Consult": whether a reviewer hears of a new version that changed a section they commented on.
    notify_changes: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The interface language the account chose ("en", "fr", "ru"; see consult_app/i18n.py); NULL: not chosen,
    # the cookie or the browser decides. Mail to the account is written in it.
    language: Mapped[str | None] = mapped_column(String(8))

    # The token of the session this object was loaded through or logged in with (consult_app/auth/session.py),
    # not a column: Flask-Login keeps get_id() in the cookies, and they must name a session, not the account.
    login_token = None

    def get_id(self) -> str | None:
        return self.login_token

    # Flask-Login's UserMixin compares users by get_id(); an account is the same account whatever session it came
    # through, so compare the rows instead.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def respondent_label(self) -> str:
        return RespondentType(self.respondent_type).label

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
