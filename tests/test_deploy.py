"""The deployment files, checked for what can be checked without a Docker engine."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_two_replicas_on_postgres_behind_nginx():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "feed", "nginx"}
    feed = services["feed"]
    assert feed["deploy"]["replicas"] == 2
    assert feed["environment"]["FEED_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert feed["depends_on"]["db"]["condition"] == "service_healthy"
    mounted = services["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / mounted).is_file()


def test_nginx_revalidates_cached_feeds():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_cache_revalidate on;" in conf
    assert "location /feeds/" in conf


def test_dockerfile_is_slim_non_root_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "USER feed" in dockerfile
    assert "/healthz" in dockerfile
    for copied in ("pyproject.toml", "README.md", "alembic.ini", "feed"):
        assert (ROOT / copied).exists()
