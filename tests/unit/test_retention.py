"""CONSULT_RETENTION: the periods it accepts, the ones it refuses, and the moment an account becomes idle."""

from datetime import UTC, datetime, timedelta

import pytest

from consult_app.services.retention import Retention, RetentionError, parse_retention

THIRTY_DAYS = timedelta(days=30)


@pytest.mark.parametrize(
    ("text", "expected", "shown"),
    [
        ("24 months", Retention(24, "month"), "24 months"),
        ("2 Years", Retention(2, "year"), "2 years"),
        ("1 year", Retention(1, "year"), "1 year"),
        ("  400   days ", Retention(400, "day"), "400 days"),
        ("52weeks", Retention(52, "week"), "52 weeks"),
    ],
)
def test_periods_are_read(text, expected, shown):
    retention = parse_retention(text, at_least=THIRTY_DAYS)
    assert retention == expected and str(retention) == shown


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is not a period such as '24 months'"),
        ("forever", "is not a period"),
        ("24", "is not a period"),
        ("-3 months", "is not a period"),
        ("1.5 years", "is not a period"),
        ("٢٤ months", "is not a period"),  # digits, but not ASCII ones
        ("0 days", "at least one day and at most 100 years"),
        ("101 years", "at least one day and at most 100 years"),
        ("4 weeks", "must be longer than 30 days, how long one log-in can last"),
        ("1 month", "must be longer than 30 days"),
    ],
)
def test_bad_periods_are_refused_with_the_variable_named(text, words):
    with pytest.raises(RetentionError) as caught:
        parse_retention(text, at_least=THIRTY_DAYS)
    assert str(caught.value).startswith(f"CONSULT_RETENTION={text!r} ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("retention", "now", "cutoff"),
    [
        (Retention(24, "month"), datetime(2027, 3, 15, 8, 30, tzinfo=UTC), datetime(2025, 3, 15, 8, 30, tzinfo=UTC)),
        # Calendar months: the last day of a shorter month, and a leap day.
        (Retention(1, "month"), datetime(2027, 3, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        (Retention(1, "year"), datetime(2028, 2, 29, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        (Retention(13, "month"), datetime(2027, 1, 10, tzinfo=UTC), datetime(2025, 12, 10, tzinfo=UTC)),
        (Retention(90, "day"), datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (Retention(2, "week"), datetime(2027, 4, 15, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)),
    ],
)
def test_the_cutoff_is_the_period_before_now(retention, now, cutoff):
    assert retention.cutoff(now) == cutoff
