"""gunicorn.conf.py: values from the environment, and settings gunicorn itself accepts."""

import os
import runpy

import pytest
from gunicorn.config import Config

from tests.conftest import PROJECT_ROOT

VARIABLES = ["WEB_CONCURRENCY", "PORT"] + [
    f"GUNICORN_{name}"
    for name in (
        "THREADS",
        "KEEPALIVE",
        "BIND",
        "TIMEOUT",
        "GRACEFUL_TIMEOUT",
        "MAX_REQUESTS",
        "LOG_LEVEL",
        "CONTROL_SOCKET",
    )
]


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def gunicorn_config() -> Config:
    """The file's settings in gunicorn's own Config, each checked by gunicorn's validator."""
    namespace = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config


def settings() -> dict:
    config = gunicorn_config()
    return {name: setting.get() for name, setting in config.settings.items()}


def test_defaults(environment):
    values = settings()
    assert values["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert values["worker_class"] == "sync" and values["threads"] == 1
    assert values["bind"] == ["127.0.0.1:8000"]
    assert values["timeout"] == 30 and values["graceful_timeout"] == 30
    assert values["preload_app"] is False
    assert values["accesslog"] == "-" and values["errorlog"] == "-"
    # Forwarded headers are the app's business (CONSULT_PROXY_COUNT), never gunicorn's.
    assert values["forwarded_allow_ips"] == [] and values["secure_scheme_headers"] == {}
    assert values["control_socket_disable"] is True


def test_environment_overrides(environment):
    environment.setenv("WEB_CONCURRENCY", "3")
    environment.setenv("GUNICORN_THREADS", "8")
    environment.setenv("PORT", "9000")
    environment.setenv("GUNICORN_TIMEOUT", "120")
    values = settings()
    assert (values["workers"], values["threads"], values["bind"], values["timeout"]) == (3, 8, ["127.0.0.1:9000"], 120)
    assert gunicorn_config().worker_class_str == "gthread"  # threads mean gthread workers
    environment.setenv("GUNICORN_BIND", "0.0.0.0:8080")
    assert settings()["bind"] == ["0.0.0.0:8080"]


@pytest.mark.parametrize(("name", "value"), [("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "many"), ("PORT", "-1")])
def test_bad_numbers_stop_the_start(environment, name, value):
    environment.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        settings()
