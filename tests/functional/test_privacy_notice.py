"""The privacy notice from configuration, and a production that refuses to start without a controller and a contact."""

import pytest

from consult_app import ConfigurationError, create_app
from consult_app.labels import PUBLICATION_LABELS
from tests.conftest import make_app

PRIVACY_VARIABLES = ("CONSULT_CONTROLLER", "CONSULT_PRIVACY_CONTACT", "CONSULT_RETENTION", "CONSULT_ENV")


@pytest.fixture
def clean_environment(monkeypatch):
    """No privacy setting of the machine running the tests leaks into the apps made here."""
    for name in PRIVACY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def notice(app) -> str:
    response = app.test_client().get("/privacy")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_notice_names_the_configured_controller_contact_and_retention(database_url, clean_environment):
    app = make_app(
        database_url,
        CONSULT_CONTROLLER="Statistics Ethics Institute, 1 Quay Street, Geneva",
        CONSULT_PRIVACY_CONTACT="dpo@stats-ethics.example",
        CONSULT_RETENTION="18 months",
    )
    html = notice(app)
    assert "<strong>Statistics Ethics Institute, 1 Quay Street, Geneva</strong> decides what happens" in html
    assert '<a href="mailto:dpo@stats-ethics.example">dpo@stats-ethics.example</a>' in html
    assert "nobody has logged in to it for <strong>18 months</strong>" in html
    assert "Placeholder details" not in html
    for heading in ("Who is responsible", "What we keep", "Who sees it", "How long we keep it", "Your rights"):
        assert f"<h2>{heading}" in html
    for choice in PUBLICATION_LABELS.values():  # the words of the comment form
        assert f'"{choice}":' in html
    assert 'href="/account/"' in html and "Deleted account" in html and "data protection authority" in html


def test_a_contact_can_be_a_web_page(database_url, clean_environment):
    app = make_app(database_url, CONSULT_PRIVACY_CONTACT="https://stats-ethics.example/data-requests")
    assert '<a href="https://stats-ethics.example/data-requests">' in notice(app)


def test_outside_production_the_placeholders_are_marked_as_such(database_url, clean_environment):
    html = notice(make_app(database_url))
    assert "Placeholder details" in html and "set CONSULT_CONTROLLER" in html
    assert "nobody has logged in to it for <strong>24 months</strong>" in html


def production(tmp_path, **settings):
    base = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "SECRET_KEY": "a-long-production-secret",
        "CONSULT_BASE_URL": "https://consult.example.org",
        "CONSULT_CONTROLLER": "Statistics Ethics Institute",
        "CONSULT_PRIVACY_CONTACT": "dpo@stats-ethics.example",
    }
    return create_app("production", {**base, **settings})


def test_production_starts_with_a_controller_and_a_contact(tmp_path, clean_environment):
    assert production(tmp_path).config["CONSULT_CONTROLLER"] == "Statistics Ethics Institute"


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"CONSULT_CONTROLLER": ""}, "CONSULT_CONTROLLER is not set"),
        ({"CONSULT_CONTROLLER": "   "}, "CONSULT_CONTROLLER is not set"),
        ({"CONSULT_PRIVACY_CONTACT": ""}, "CONSULT_PRIVACY_CONTACT is not set"),
        ({"CONSULT_PRIVACY_CONTACT": "the data team"}, "is neither an email address nor an https:// address"),
        ({"CONSULT_PRIVACY_CONTACT": "http://stats.example/privacy"}, "neither an email address nor an https://"),
        ({"CONSULT_RETENTION": "forever"}, "CONSULT_RETENTION='forever' is not a period such as '24 months'"),
        ({"CONSULT_RETENTION": "2 weeks"}, "must be longer than 30 days"),
    ],
)
def test_production_refuses_to_start_without_usable_privacy_settings(tmp_path, clean_environment, settings, words):
    with pytest.raises(ConfigurationError, match="production refuses" if "not set" in words else None) as caught:
        production(tmp_path, **settings)
    assert words in str(caught.value)


def test_the_settings_come_from_the_environment(tmp_path, clean_environment):
    clean_environment.setenv("CONSULT_CONTROLLER", "Environment Institute")
    clean_environment.setenv("CONSULT_PRIVACY_CONTACT", "privacy@environment.example")
    clean_environment.setenv("CONSULT_RETENTION", "3 years")
    app = create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "SECRET_KEY": "a-long-production-secret",
            "CONSULT_BASE_URL": "https://consult.example.org",
        },
    )
    settings = [app.config[name] for name in PRIVACY_VARIABLES[:3]]
    assert settings == ["Environment Institute", "privacy@environment.example", "3 years"]


def test_the_notice_says_what_log_in_sessions_keep_and_for_how_long(database_url, clean_environment):
    app = make_app(database_url, SESSION_IDLE_MINUTES=90, SESSION_ABSOLUTE_DAYS=14, CONSULT_RETENTION="18 months")
    html = notice(app)
    assert "the browser's description and your IP address" in html
    assert "otherwise 90 minutes after you were last active and at most 14 days after you logged in" in html
