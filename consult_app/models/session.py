"""Server-side log-in sessions: one row per log-in, so that a log-out or a password change really ends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult_app.extensions import db
from consult_app.models.types import UTCDateTime, utcnow
from consult_app.models.user import User

# The SHA-256 of the cookie's token, in hex.
SESSION_ID_LENGTH = 64
USER_AGENT_MAX = 200
# An IPv6 address in its longest text form (with an embedded IPv4 address).
IP_ADDRESS_MAX = 45

# (text in the user agent, name shown), first match wins: Edge and Opera also say "Chrome", Chrome also "Safari".
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


class UserSession(db.Model):
    """One signed-in browser. The cookie (Flask's session and the remember-me cookie) carries a random token;
    only its SHA-256 is stored, so a copy of the database (a backup, a leak) opens no session.

    A session ends when its row is deleted (log-out, "log out everywhere else", password change, reset,
    deactivation, role change, email change, account deletion) or when it has not been used for the idle
    lifetime, or when its absolute lifetime (`expires_at`) is over: see services/sessions.py."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "Keep me logged in": the cookies outlive the browser, until expires_at.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once a minute (services.sessions.TOUCH_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Shown on the account page so that the person can tell their sessions apart.
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    ip_address: Mapped[str] = mapped_column(String(IP_ADDRESS_MAX), default="")

    user: Mapped[User] = relationship(User)

    @property
    def browser_label(self) -> str:
        """A name like "Firefox on Linux" for the account page; the user agent text is whatever the browser
        sent, so this is a hint for the person, not a fact."""
        agent = self.user_agent
        browser = next((name for marker, name in BROWSERS if marker in agent), "")
        system = next((name for marker, name in SYSTEMS if marker in agent), "")
        if browser and system:
            return f"{browser} on {system}"
        return browser or system or "Unknown browser"

    def __repr__(self) -> str:
        return f"<UserSession user={self.user_id} {self.created_at:%Y-%m-%d %H:%M}>"
