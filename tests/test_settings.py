import pytest

from feed.app import ConfigurationError, check_settings, create_app
from feed.settings import Settings
from tests.conftest import SECRET_KEY


def test_settings_come_from_feed_prefixed_env(monkeypatch):
    monkeypatch.setenv("FEED_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("FEED_PUBLIC_BASE_URL", "https://feeds.example.com")
    settings = Settings()
    assert settings.DATABASE_URL == "sqlite:///x.db"
    assert settings.PUBLIC_BASE_URL == "https://feeds.example.com"


def test_defaults_are_the_embedded_store(monkeypatch):
    monkeypatch.delenv("FEED_DATABASE_URL", raising=False)
    assert Settings().DATABASE_URL == "sqlite:///./feed.db"


def test_app_refuses_to_start_without_admin_token():
    with pytest.raises(ConfigurationError, match="FEED_ADMIN_TOKEN"):
        create_app(Settings(ADMIN_TOKEN=None, SECRET_KEY=SECRET_KEY))


def test_app_refuses_a_short_admin_token():
    with pytest.raises(ConfigurationError, match="at least 16"):
        check_settings(Settings(ADMIN_TOKEN="short", SECRET_KEY=SECRET_KEY))


def test_app_refuses_to_start_without_secret_key():
    with pytest.raises(ConfigurationError, match="FEED_SECRET_KEY"):
        check_settings(Settings(ADMIN_TOKEN="x" * 20, SECRET_KEY=None))


def test_bad_secret_key_is_explained():
    with pytest.raises(ValueError, match="Fernet"):
        create_app(Settings(ADMIN_TOKEN="x" * 20, SECRET_KEY="not-a-key"))


def test_feed_tokens_are_masked_in_log_records():
    import logging

    from feed.logs import MaskFeedTokens

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/feeds/abcdefghijklmnopqrstuvwx.csv", "1.1", 200),
        None,
    )
    MaskFeedTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /feeds/****.csv HTTP/1.1" 200'

    import httpx

    url = httpx.URL("http://127.0.0.1/feeds/abcdefghijklmnopqrstuvwx.json")
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("GET", url), None
    )
    MaskFeedTokens().filter(record)
    assert "abcdefghijklmnop" not in record.getMessage()


def test_json_logs_split_events_into_fields():
    import logging

    import orjson

    from feed.logs import JsonFormatter

    record = logging.LogRecord(
        "feed.export.snapshot",
        logging.INFO,
        __file__,
        1,
        "feed.snapshot.built channel=%s rows=%s",
        (3, 300),
        None,
    )
    entry = orjson.loads(JsonFormatter().format(record))
    assert entry["event"] == "feed.snapshot.built"
    assert (entry["channel"], entry["rows"], entry["level"]) == ("3", "300", "info")
