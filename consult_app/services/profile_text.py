"""What people show others about themselves: display names, organisations and countries.

These appear beside comments, in the moderation queue, the admin's account list and the response log, so they
must read as what they are. One rule for every way in (registration, the account page, `flask users create`):

- the text is normalised to Unicode NFKC (full-width letters, ligatures and other compatibility forms become
  the plain characters they stand for) and surrounding whitespace is removed;
- it is refused when it holds a control or format character (categories Cc and Cf: the bidi override U+202E
  that makes a name display reversed, zero-width spaces, soft hyphens) or a line or paragraph separator, when
  it has nothing visible in it, or when all it has are combining marks (accents on nothing).

The one exception is the zero-width joiner and non-joiner between two visible characters of a word: Persian,
Urdu and several Indic scripts spell names with them (the non-joiner in "می‌ر" keeps two
letters apart), and emoji sequences are joined by them. Between two ASCII characters, at either end of the text,
beside a space or beside another such character they do nothing visible and are refused like the rest.

An empty value is not refused here: whether a field may be left empty is the form's or the command's business.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext

# Control and format characters, and the two separators that break a line as LF does.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Letters and symbols that print as nothing at all: the Hangul fillers and the blank Braille pattern, the usual
# way to make a name that looks empty (NFKC leaves them as they are).
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: allowed inside a word (see above)
WORD_CATEGORIES = ("L", "M", "N", "S")


def N_(message: str) -> str:  # noqa: N802 - the name babel extracts by default
    """Marks a message for the catalogue (babel extracts N_) without translating it: `problem` does, when it
    is said, in the person's language (the command line's is English)."""
    return message


NOTHING_VISIBLE = N_("Enter visible characters: this has only blank space in it.")
ONLY_MARKS = N_("Enter letters, not only accents or other combining marks.")


def normalise(value: str) -> str:
    """The text as it is kept: NFKC, without surrounding whitespace."""
    return unicodedata.normalize("NFKC", value).strip()


def problem(value: str) -> str | None:
    """Why `value` (already normalised) cannot be kept, as a sentence for the person; None when it can."""
    if not value:
        return None
    for position, character in enumerate(value):
        if unicodedata.category(character) in REFUSED_CATEGORIES and not _joins_a_word(value, position):
            return gettext(
                "Remove the invisible character %(character)s: only visible characters and spaces can be used here.",
                character=_described(character),
            )
    visible = [character for character in value if not character.isspace() and character not in BLANK_CHARACTERS]
    if not visible:
        return gettext(NOTHING_VISIBLE)
    if all(unicodedata.category(character).startswith("M") for character in visible):
        return gettext(ONLY_MARKS)
    return None


def _joins_a_word(value: str, position: int) -> bool:
    """Whether the character at `position` is a joiner with a letter, mark, digit or symbol on each side."""
    if value[position] not in JOINERS or not 0 < position < len(value) - 1:
        return False
    neighbours = (value[position - 1], value[position + 1])
    if all(character.isascii() for character in neighbours):
        return False  # no script written in ASCII needs them: "Mod\u200derator" would only pose as "Moderator"
    return all(unicodedata.category(character).startswith(WORD_CATEGORIES) for character in neighbours)


def _described(character: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE); control characters have no name, only a number."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" ({name})" if name else "")
