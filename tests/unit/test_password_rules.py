"""Password rules on input a browser would never send."""

import pytest

from consult_app.services.passwords import password_problem


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("correct horse\nbattery staple", None),
        ("\n\n\npassword\n\n\n", "too common"),
        ("line one\r\nline two", None),
        ("\x0b" * 12, "too common"),
    ],
)
def test_line_breaks_in_a_password_are_judged_not_crashed_on(password, expected):
    """A forged form can send a line break; the rules used to fail on it with an AttributeError (a 500)."""
    problem = password_problem(password)
    assert problem is None if expected is None else expected in problem


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("asdfghjkl;lkj", "Short keyboard patterns are easy to guess."),  # a keyboard walk with a turn in it
        ("jennifer1990!", "Common names and surnames are easy to guess."),
        ("lovelace1815", "It follows a pattern that password-guessing programs try early."),  # own surname, a year
    ],
)
def test_passwords_that_zxcvbn_scores_low_are_refused_with_its_reason(password, reason):
    """The quick checks let these through; zxcvbn's score (below 3 of 4) does not, and says why."""
    problem = password_problem(password, email="ada@example.org", name="Ada Lovelace")
    assert problem is not None and reason in problem
    assert problem.startswith("This password would be too easy to guess.")


def test_a_password_zxcvbn_scores_well_is_accepted_however_long():
    assert password_problem("asdfghjkl;lkj was never my password, said the octopus") is None
    long = "a long and unusual test passphrase, then another clause about lighthouses, moss and slow trains"
    assert len(long) > 72 and password_problem(long) is None  # zxcvbn scores at most 72 characters
