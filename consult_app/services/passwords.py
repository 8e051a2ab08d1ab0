"""Password rules: long enough, not too long to hash, and not one that attackers try first.

Following current advice for memorised secrets: a minimum length and a check against commonly used
passwords, no composition rules (no "one digit and one symbol").
"""

from __future__ import annotations

import functools
import re

MIN_LENGTH = 12
MAX_LENGTH = 256
# Words an attacker would try first on this site.
CONTEXT_WORDS = frozenset({"consult", "consultation", "guidance", "statistics", "ethics", "password", "moderator"})
KEYBOARD_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn")
# DOTALL: a forged form can put a line break in a password, and the pattern must still match it.
DECORATION = re.compile(r"^[\W\d_]*(?P<core>.*?)[\W\d_]*$", re.DOTALL)


@functools.cache
def common_passwords() -> frozenset[str]:
    """Commonly used passwords (from the zxcvbn package's list, drawn from leaked password sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # imported on first use: the list is large

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is not acceptable, as a sentence for the form, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    core = DECORATION.match(lowered).group("core")
    if lowered in common_passwords() or core in common_passwords() or _is_repetition(lowered, core):
        return "This password is too common or too easy to guess. Try a few unrelated words together."
    if _is_run(lowered):
        return "This password is a run of neighbouring keys or characters. Try a few unrelated words together."
    personal = {email.lower().split("@")[0], "".join(name.lower().split())} - {""}
    if core in CONTEXT_WORDS or core in personal or lowered in personal:
        return "This password is too close to your name, email address or this site. Choose something else."
    return None


def _is_repetition(lowered: str, core: str) -> bool:
    """'aaaaaaaaaaaa', 'abcabcabcabc', 'passwordpassword'."""
    for text in (lowered, core):
        for size in range(1, len(text) // 2 + 1):
            if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
                return True
    return len(set(lowered)) <= 3


def _is_run(lowered: str) -> bool:
    # Runs wrap around ("789012"), so look in each run written out three times.
    return any(lowered in run * 3 or lowered in (run * 3)[::-1] for run in KEYBOARD_RUNS)
