"""Password rules: long enough, not too long to hash, and not one that attackers try first.

Following current advice for memorised secrets: a minimum length and a check against commonly used
passwords, no composition rules (no "one digit and one symbol"). What the quick checks let through is scored
by zxcvbn, which also knows keyboard patterns, dates, l33t spellings and words glued together
('asdfghjkl;lkj' is a keyboard walk with a turn in it): below MIN_SCORE it is refused with zxcvbn's reason.
"""

from __future__ import annotations

import functools
import re

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn's scores run from 0 to 4; 3 is "safely unguessable: moderate protection from an offline attack on a
# slow hash", which is what stored scrypt hashes face if the database leaks.
MIN_SCORE = 3
# zxcvbn refuses longer input (its time grows quickly with length); a password is scored on its start.
SCORED_LENGTH = 72
# Words an attacker would try first on this site.
CONTEXT_WORDS = frozenset({"consult", "consultation", "guidance", "statistics", "ethics", "password", "moderator"})
KEYBOARD_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn")
# DOTALL: a forged form can put a line break in a password, and the pattern must still match it.
DECORATION = re.compile(r"^[\W\d_]*(?P<core>.*?)[\W\d_]*$", re.DOTALL)
# zxcvbn's reasons are English only: each one it can give, in our catalogue (an unknown one gets the general reason).
ZXCVBN_WARNINGS = {
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": _l("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': _l("Repeats like “aaa” are easy to guess."),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        "Repeats like “abcabcabc” are only slightly harder to guess than “abc”."
    ),
    'Sequences like "abc" or "6543" are easy to guess.': _l("Sequences like “abc” or “6543” are easy to guess."),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l("Names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.": _l("Common names and surnames are easy to guess."),
}


@functools.cache
def common_passwords() -> frozenset[str]:
    """Commonly used passwords (from the zxcvbn package's list, drawn from leaked password sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # imported on first use: the list is large

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is not acceptable, as a sentence for the form, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        # The same words as every other field's length limit (consult_app/forms.py).
        return ngettext(
            "Use at most %(limit)s character.", "Use at most %(limit)s characters.", MAX_LENGTH, limit=MAX_LENGTH
        )
    lowered = password.lower()
    core = DECORATION.match(lowered).group("core")
    if lowered in common_passwords() or core in common_passwords() or _is_repetition(lowered, core):
        return gettext("This password is too common or too easy to guess. Try a few unrelated words together.")
    if _is_run(lowered):
        return gettext("This password is a run of neighbouring keys or characters. Try a few unrelated words together.")
    personal = {email.lower().split("@")[0], "".join(name.lower().split())} - {""}
    if core in CONTEXT_WORDS or core in personal or lowered in personal:
        return gettext("This password is too close to your name, email address or this site. Choose something else.")
    return _weakness(password, [*personal, *name.lower().split(), *CONTEXT_WORDS])


def _weakness(password: str, known_words: list[str]) -> str | None:
    """zxcvbn's verdict: None when the password scores MIN_SCORE or more, otherwise a sentence with its reason."""
    from zxcvbn import zxcvbn  # imported on first use, like its word lists

    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=known_words)
    if result["score"] >= MIN_SCORE:
        return None
    warning = ZXCVBN_WARNINGS.get(result["feedback"]["warning"])
    reason = str(warning) if warning else gettext("It follows a pattern that password-guessing programs try early.")
    return gettext(
        "This password would be too easy to guess. %(reason)s Try a few unrelated words together.", reason=reason
    )


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
