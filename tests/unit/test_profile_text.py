"""Names, organisations and countries: normalised to NFKC and refused when they cannot be shown as they are."""

import pytest

from consult_app.services.profile_text import NOTHING_VISIBLE, ONLY_MARKS, normalise, problem


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Ada Lovelace\t", "Ada Lovelace"),
        ("\uff21\uff44\uff41\u3000\uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45", "Ada Lovelace"),  # full width
        ("\ufb01nance o\ufb03ce", "finance office"),  # ligatures
        ("Zoe\u0308 Cafe\u0301", "Zoë Café"),  # a letter and its combining mark become one character
        ("Statistics\u00a0Norway", "Statistics Norway"),
        ("Ελληνική Στατιστική Αρχή", "Ελληνική Στατιστική Αρχή"),
        ("国家统计局", "国家统计局"),
        ("מרכז לסטטיסטיקה", "מרכז לסטטיסטיקה"),  # right-to-left text is fine; only the invisible controls are not
        ("Zalgo\u0334\u0321 t\u0338e\u0335x\u0336t", "Zalgo\u0334\u0321 t\u0338e\u0335x\u0336t"),  # marks on letters
        ("C\u00f4te d\u2019Ivoire \U0001f1e8\U0001f1ee", "C\u00f4te d\u2019Ivoire \U0001f1e8\U0001f1ee"),
    ],
)
def test_what_is_kept(typed, kept):
    assert normalise(typed) == kept
    assert problem(normalise(typed)) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("\u202eModerator", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("Admin\u2066istrator\u2069", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("Ada\u200dLovelace", "U+200D (ZERO WIDTH JOINER)"),
        ("Ada\u200cLovelace", "U+200C (ZERO WIDTH NON-JOINER)"),
        ("Mod\u200berator", "U+200B (ZERO WIDTH SPACE)"),
        ("Stat\u00adistics", "U+00AD (SOFT HYPHEN)"),
        ("\ufeffNorway", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("Nor\u2060way", "U+2060 (WORD JOINER)"),
        ("line one\nline two", "U+000A:"),
        ("tab\tinside", "U+0009:"),
        ("\x1b[31mred", "U+001B:"),
        ("a\x85b", "U+0085:"),
        ("one\u2028two", "U+2028 (LINE SEPARATOR)"),
        ("one\u2029two", "U+2029 (PARAGRAPH SEPARATOR)"),
        ("\u0301", ONLY_MARKS),
        ("\u0301 \u0308\u0327", ONLY_MARKS),
        ("\u3164", NOTHING_VISIBLE),
        ("\u115f\u1160 \uffa0", NOTHING_VISIBLE),
        ("\u2800\u2800", NOTHING_VISIBLE),
    ],
)
def test_what_is_refused(typed, message):
    found = problem(normalise(typed))
    assert found is not None and message in found, found


@pytest.mark.parametrize(
    "name",
    [
        "\u0645\u06cc\u200c\u0631\u0632\u0627",  # Persian: the non-joiner keeps two letters of a name apart
        "\u0915\u094d\u200d\u0937",  # Devanagari: a joiner asks for the half form of a conjunct
        "Team \U0001f469\u200d\U0001f52c",  # an emoji sequence (woman + joiner + microscope)
    ],
)
def test_joiners_inside_a_word_of_a_script_that_uses_them_are_kept(name):
    assert problem(normalise(name)) is None


@pytest.mark.parametrize(
    "name", ["\u200c\u0645\u06cc", "\u0645\u06cc\u200c", "\u0645\u06cc \u200c\u0631", "\u0645\u200c\u200c\u0631"]
)
def test_joiners_at_an_edge_or_beside_a_space_or_another_joiner_are_refused(name):
    assert "U+200C" in (problem(normalise(name)) or "")


def test_empty_is_for_the_caller_to_judge():
    """Whether a field may be empty is the form's business (a name is required, a country is not)."""
    assert normalise(" \u3000\u00a0\n ") == ""
    assert problem("") is None
