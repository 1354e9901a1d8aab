"""Configuration read from STATUSPAGE_* environment variables.

Every setting has a default that works on a fresh machine: a SQLite database and a generated secret key, both
kept under ``instance/``.
"""
import os
import secrets
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: str, kind=float):
    """A numeric setting; a bad value stops start-up with one clear line instead of a traceback."""
    raw = os.environ.get(name, default)
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"statuspage: {name} must be a number, got {raw!r}") from None


def ensure_instance_dir(path: Path) -> Path:
    """Create the instance directory if it is missing, or replace a file squatting on its name."""
    if path.exists() and not path.is_dir():
        backup = path.with_name(path.name + ".corrupt")
        path.rename(backup)
        print(f"statuspage: {path} was not a directory; moved it to {backup} and created a fresh one",
              file=sys.stderr)
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        print(f"statuspage: created instance directory {path}", file=sys.stderr)
    return path


def load_secret_key(instance: Path) -> str:
    """Return STATUSPAGE_SECRET_KEY, or a key generated once into instance/secret_key."""
    given = os.environ.get("STATUSPAGE_SECRET_KEY")
    if given:
        return given
    key_file = instance / "secret_key"
    try:
        key = key_file.read_text().strip()
    except OSError:
        key = ""
    if len(key) < 32:
        key = secrets.token_hex(32)
        key_file.write_text(key)
        key_file.chmod(0o600)
    return key


def build_config(overrides: dict | None = None) -> dict:
    """Assemble the Flask config from the environment, then apply ``overrides`` (used by tests)."""
    overrides = dict(overrides or {})
    env = os.environ
    instance = Path(overrides.pop("INSTANCE_PATH", None) or env.get("STATUSPAGE_INSTANCE_PATH")
                    or PROJECT_ROOT / "instance")
    ensure_instance_dir(instance)
    database_url = env.get("STATUSPAGE_DATABASE_URL") or f"sqlite:///{instance / 'statuspage.db'}"
    config = {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": None,
        "SITE_NAME": env.get("STATUSPAGE_SITE_NAME", "Status"),
        "PUBLIC_URL": env.get("STATUSPAGE_PUBLIC_URL", "http://127.0.0.1:5000"),
        # Share of a day's down time that a partial outage counts for in uptime (major outage counts fully).
        "UPTIME_WEIGHT_MAJOR": _number("STATUSPAGE_UPTIME_WEIGHT_MAJOR", "1.0"),
        "UPTIME_WEIGHT_PARTIAL": _number("STATUSPAGE_UPTIME_WEIGHT_PARTIAL", "0.3"),
        "UPTIME_WEIGHT_DEGRADED": _number("STATUSPAGE_UPTIME_WEIGHT_DEGRADED", "0.0"),
        "SMTP_URL": env.get("STATUSPAGE_SMTP_URL", ""),
        "SMS_URL": env.get("STATUSPAGE_SMS_URL", ""),
        "REDIS_URL": env.get("STATUSPAGE_REDIS_URL", ""),
        "ALLOW_LOOPBACK_WEBHOOKS": _bool(env.get("STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS")),
        "RUN_WORKER": _bool(env.get("STATUSPAGE_RUN_WORKER"), default=False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("STATUSPAGE_SECURE_COOKIES")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("STATUSPAGE_SECURE_COOKIES")),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": env.get("STATUSPAGE_REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "SNAPSHOT_MAX_AGE": _number("STATUSPAGE_SNAPSHOT_MAX_AGE", "10", int),
        # A directory the worker keeps a static export of the public site in (``statuspage export``); "" = off.
        "EXPORT_DIR": env.get("STATUSPAGE_EXPORT_DIR", ""),
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = load_secret_key(instance)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return config
