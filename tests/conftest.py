"""Fixtures every test builds on: app, client, runner, a real database (SQLite, or PostgreSQL when
STATUSPAGE_TEST_DATABASE_URL is set), a live server, a Chromium page, an axe check and a query counter."""
import os
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from werkzeug.serving import make_server

from statuspage import create_app
from statuspage.extensions import db

PG_URL = os.environ.get("STATUSPAGE_TEST_DATABASE_URL", "")
REQUIRE_ALL = os.environ.get("STATUSPAGE_REQUIRE_ALL") == "1"
CHROMIUM = os.environ.get("STATUSPAGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when a prerequisite is missing, or fail when STATUSPAGE_REQUIRE_ALL=1."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required but missing: {reason}")
    pytest.skip(reason)


# For behaviour only PostgreSQL has (SKIP LOCKED): such a test runs in CI's PostgreSQL pass and is not
# "missing" in the SQLite pass, so it skips there even with STATUSPAGE_REQUIRE_ALL=1.
only_on_postgresql = pytest.mark.skipif(not PG_URL, reason="PostgreSQL-only behaviour; runs in the PostgreSQL pass")


def _reuse_url_builders() -> None:
    """Every test builds a fresh app, and werkzeug compiles each of its ~160 URL rules into Python code (about
    a fifth of the suite's CPU). The code depends only on the rule's parts, so the suite compiles each once."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "reused", False):
        return
    compiled: dict = {}

    def reused(self, append_unknown: bool = True):
        try:
            key = (self.rule, tuple(self._trace), tuple(sorted((self.defaults or {}).items())), append_unknown)
            hash(key)
        except (AttributeError, TypeError):
            return compile_builder(self, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    reused.reused = True
    Rule._compile_builder = reused


_reuse_url_builders()


def database_url(tmp_path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'test.db'}"


_pg_schema_ready = {"done": False}


def reset_database(app) -> None:
    """A clean schema: fresh SQLite file per test; on PostgreSQL the tables are created once, then emptied."""
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            if not _pg_schema_ready["done"]:
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                db.create_all()
                _pg_schema_ready["done"] = True
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            db.create_all()


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SNAPSHOT_VERSION_TTL": 0,
        # One clock window for the whole run: a slow test crossing a minute must not re-render a page it compares.
        "SNAPSHOT_CLOCK_WINDOW": 10**9,
        "PUBLIC_URL": "http://status.test",
    }
    config.update(overrides)
    app = create_app(config)
    reset_database(app)
    return app


@pytest.fixture(autouse=True)
def _fresh_snapshots():
    """Every test starts with no cached public snapshot."""
    from statuspage import snapshot

    snapshot.clear()
    yield
    snapshot.close_connections()  # each app's version check holds a pooled connection


@pytest.fixture
def app(tmp_path):
    """An app on a clean database, with an app context pushed for the test's own queries."""
    app = make_app(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_app(tmp_path):
    """Like ``app`` but with CSRF protection on, as in production."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...`` then ``counter.count`` is the number of SQL statements."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port of 127.0.0.1 (threaded), for browsers and subprocesses."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    require(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def axe_violations(page) -> list[str]:
    """Run axe-core in the page; returns one line per violation (empty when the page passes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response.get("violations", [])
    return [f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:3])
            for v in violations]


@pytest.fixture
def axe():
    """``axe(page)`` asserts the page has no accessibility violations."""

    def check(page):
        problems = axe_violations(page)
        assert not problems, "axe found accessibility violations:\n" + "\n".join(problems)

    return check


def browser_sign_in(page, live_server, email: str, password: str, then: str) -> None:
    """Sign in through the form in Chromium and land on ``then``."""
    page.goto(f"{live_server.url}/login?next={then}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{then}")


@pytest.fixture
def make_user(app):
    """``make_user(email, role, password)`` creates an active user with a hashed password."""
    from werkzeug.security import generate_password_hash

    from statuspage.models import User

    def make(email: str = "manager@example.com", role: str = "manager",
             password: str = "correct horse battery staple"):
        user = User(email=email, role=role, password_hash=generate_password_hash(password))
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client, make_user):
    """``login(role)`` creates a user with that role and signs the test client in as them."""

    def sign_in(role: str = "manager", email: str | None = None):
        user = make_user(email or f"{role}@example.com", role)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return user

    return sign_in


from egress_stubs import connections, dns  # noqa: E402,F401  (stub DNS and connection spy for egress tests)
from sinks import http_sink, smtp_sink  # noqa: E402,F401  (fixtures shared by notification tests)


@pytest.fixture(autouse=True)
def fresh_user_per_request():
    """Make every test request load the signed-in user from its session cookie again.

    The ``app`` fixture keeps an app context pushed, so Flask reuses it (and its ``g``) for every request, and
    Flask-Login caches the user in ``g``: without this, a sign-out or a changed session would go unnoticed by
    the following requests of the same test."""
    from flask import g, request_started

    def forget_cached_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget_cached_user)
    yield
    request_started.disconnect(forget_cached_user)


# The management API (/v1) and the objects most tests start from.

@pytest.fixture
def page_id(app) -> str:
    """This site's page id (the one Site row is created and committed)."""
    from statuspage.models import Site

    site = Site.get()
    db.session.commit()
    return site.page_id


@pytest.fixture
def api_key(make_user):
    """``api_key(role, email=None, scheme="OAuth", user=None)`` issues an API key to a new user with that role (or
    to ``user``) and returns the request headers that send it."""
    from statuspage.domain import tokens
    from statuspage.domain.recording import SYSTEM

    def issue(role: str = "manager", email: str | None = None, scheme: str = "OAuth", user=None) -> dict:
        owner = user or make_user(email or f"{role}@example.com", role)
        return {"Authorization": f"{scheme} {tokens.issue_token(SYSTEM, owner, 'script')[1]}"}

    return issue


class ApiClient:
    """The test client speaking to ``/v1/pages/<page_id>/`` with the given headers: ``api("get", "incidents")``;
    ``headers=`` on a call adds to them."""

    def __init__(self, client, page_id: str, headers: dict):
        self.client, self.page_id, self.headers = client, page_id, headers

    def __call__(self, method: str, path: str, **kwargs):
        headers = self.headers | kwargs.pop("headers", {})
        return getattr(self.client, method)(f"/v1/pages/{self.page_id}/{path}", headers=headers, **kwargs)


@pytest.fixture
def v1(client, page_id):
    """``v1(headers)`` → an ApiClient for this site's page, e.g. ``v1(api_key("viewer"))``."""
    return lambda headers: ApiClient(client, page_id, headers)


@pytest.fixture
def web(app):
    """A public component named "Web"."""
    from statuspage.domain.components import create_component
    from statuspage.domain.recording import SYSTEM

    return create_component(SYSTEM, name="Web")


@pytest.fixture
def database(app):
    """A public component named "Database"."""
    from statuspage.domain.components import create_component
    from statuspage.domain.recording import SYSTEM

    return create_component(SYSTEM, name="Database")


@pytest.fixture
def fresh(app):
    """``fresh(Model, id)`` reads the row again from the database, not from the session's identity map."""

    def read(model, key):
        db.session.expire_all()
        return db.session.get(model, key)

    return read
