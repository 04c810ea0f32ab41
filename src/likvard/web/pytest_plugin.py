"""pytest plugin (``-p likvard.web.pytest_plugin`` in pyproject): runs before pytest-django
reads its settings, so the tests use PostgreSQL when it is reachable and SQLite otherwise."""

import os
import socket

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return True
    except Exception:
        return False


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likvard.web.settings")
os.environ.setdefault("LIKVARD_DEMO", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("LIKVARD_PSEUDONYM_KEY", "test-only-pseudonym-key-0123456789abcdef")  # Playwright's sync API beside the live server
if "DATABASE_URL" not in os.environ and os.environ.get("LIKVARD_TEST_DB", "auto") != "sqlite" and _postgres_reachable():
    os.environ["DATABASE_URL"] = POSTGRES_URL
