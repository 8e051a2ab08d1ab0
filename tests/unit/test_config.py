import pytest

from config import from_environment
from consult_app import ConfigurationError, create_app
from consult_app.models import User


@pytest.fixture
def clean_environment(monkeypatch):
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "CONSULT_ENV",
        "CONSULT_TIMEZONE",
        "RATELIMIT_ENABLED",
        "CONSULT_BASE_URL",
        "MAIL_PER_RECIPIENT_PER_HOUR",
        "MAIL_DELIVERY_THREAD",
        "CONSULT_RETENTION",
    ):
        monkeypatch.delenv(name, raising=False)
    # Production also needs these (tests/functional/test_privacy_notice.py tests starting without them).
    monkeypatch.setenv("CONSULT_CONTROLLER", "Statistics Ethics Institute")
    monkeypatch.setenv("CONSULT_PRIVACY_CONTACT", "dpo@stats-ethics.example")
    return monkeypatch


BASE_URL = "https://consult.example.org"


def test_production_refuses_to_start_without_a_secret_key(clean_environment, tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


def test_production_starts_with_a_secret_key_and_secure_cookies(clean_environment, tmp_path):
    clean_environment.setenv("SECRET_KEY", "a-long-production-secret")
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    clean_environment.setenv("CONSULT_BASE_URL", BASE_URL)
    app = create_app("production")
    assert app.config["SECRET_KEY"] == "a-long-production-secret"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("p.db")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # Only the base address's host is answered (any port: werkzeug compares host names).
    assert app.config["TRUSTED_HOSTS"] == ["consult.example.org"]
    assert app.config["MAIL_DELIVERY_THREAD"] is False


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "consult.example.org",
        "ftp://consult.example.org",
        "https://",
        "https://consult.example.org/?next=1",
        "https://consult.example.org/#top",
        "https://user:pw@consult.example.org",
        "https://consult.example.org:99999",
    ],
)
def test_production_refuses_to_start_without_a_usable_base_url(clean_environment, tmp_path, base_url):
    clean_environment.setenv("SECRET_KEY", "a-long-production-secret")
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    if base_url:
        clean_environment.setenv("CONSULT_BASE_URL", base_url)
    with pytest.raises(ConfigurationError, match="CONSULT_BASE_URL"):
        create_app("production")


def test_only_development_delivers_mail_from_the_web_process(clean_environment, tmp_path):
    assert create_app("development", instance_path=str(tmp_path)).config["MAIL_DELIVERY_THREAD"] is True
    testing = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    assert testing.config["MAIL_DELIVERY_THREAD"] is False
    assert testing.config["TRUSTED_HOSTS"] is None  # the tests' "attacker" hosts reach the app: see test_auth.py


@pytest.mark.parametrize("value", ["0", "-1", "five", "2.5"])
def test_a_mail_limit_that_is_not_a_positive_whole_number_is_refused(clean_environment, value):
    clean_environment.setenv("MAIL_PER_RECIPIENT_PER_HOUR", value)
    with pytest.raises(ConfigurationError, match="MAIL_PER_RECIPIENT_PER_HOUR"):
        create_app("testing")


def test_development_generates_one_secret_key_and_keeps_it(clean_environment, tmp_path):
    first = create_app("development", instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text() and len(key_file.read_text()) == 64
    second = create_app("development", instance_path=str(tmp_path))
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_default_database_is_a_sqlite_file_under_instance(clean_environment, tmp_path):
    app = create_app("development", instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/consult.db"


def test_unknown_environment_name_is_refused(clean_environment):
    clean_environment.setenv("CONSULT_ENV", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        create_app()


def test_unknown_time_zone_is_refused(clean_environment):
    clean_environment.setenv("CONSULT_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ConfigurationError, match="Mars/Olympus_Mons"):
        create_app("testing")


def test_environment_values_are_parsed():
    settings = from_environment({"RATELIMIT_ENABLED": "false", "CONSULT_TIMEZONE": "Europe/Paris", "MAIL_URL": ""})
    assert settings == {"RATELIMIT_ENABLED": False, "CONSULT_TIMEZONE": "Europe/Paris"}
    with pytest.raises(ValueError, match="RATELIMIT_ENABLED"):
        from_environment({"RATELIMIT_ENABLED": "perhaps"})


def test_production_warns_when_rate_limits_live_in_process_memory(clean_environment, tmp_path, caplog):
    clean_environment.setenv("SECRET_KEY", "a-long-production-secret")
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    clean_environment.setenv("CONSULT_BASE_URL", BASE_URL)
    clean_environment.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with caplog.at_level("WARNING", logger="consult"):
        create_app("production")
    assert any("memory://" in record.getMessage() for record in caplog.records)
    caplog.clear()
    clean_environment.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    with caplog.at_level("WARNING", logger="consult"):
        create_app("production")
    assert not [record for record in caplog.records if record.name == "consult"]


def test_only_the_tests_lower_the_password_hashing_cost(clean_environment, tmp_path):
    clean_environment.setenv("SECRET_KEY", "a-long-production-secret")
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    clean_environment.setenv("CONSULT_BASE_URL", BASE_URL)
    production = create_app("production")
    with production.app_context():
        user = User(email="someone@example.org")
        user.set_password("a long enough passphrase")
    # werkzeug writes the parameters it used: scrypt at N=2^15, r=8, p=1 (its own default).
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert create_app("development", instance_path=str(tmp_path)).config["PASSWORD_HASH_METHOD"] == "scrypt"
    testing = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    with testing.app_context():
        user.set_password("a long enough passphrase")
    assert user.password_hash.startswith("scrypt:1024:8:1$")
    assert user.check_password("a long enough passphrase") and not user.check_password("another passphrase")
