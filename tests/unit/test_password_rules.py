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
