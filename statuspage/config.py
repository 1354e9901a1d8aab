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
    raw = os.environ.get(name) or default  # unset or empty: the default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"statuspage: {name} must be a number, got {raw!r}") from None


def _hops(name: str) -> int:
    """How many reverse proxies stand in front (0 to 10); anything else stops start-up with one clear line."""
    hops = _number(name, "0", int)
    if not 0 <= hops <= 10:
        raise SystemExit(f"statuspage: {name} must be a number of proxies from 0 to 10, got {hops}")
    return hops


# Connect and read timeouts per channel (seconds): a relay or host that accepts and never answers costs this
# much per attempt, not the default socket timeout. STATUSPAGE_<CHANNEL>_CONNECT_TIMEOUT / _READ_TIMEOUT.
SEND_TIMEOUT_DEFAULTS = {"email": ("3", "8"), "sms": ("3", "5"), "chat": ("3", "5"), "webhook": ("3", "5")}


def send_timeouts() -> dict[str, tuple[float, float]]:
    """{channel: (connect, read)} from the environment, each a positive number of seconds."""
    timeouts = {}
    for channel, (connect, read) in SEND_TIMEOUT_DEFAULTS.items():
        pair = tuple(_number(f"STATUSPAGE_{channel.upper()}_{part}_TIMEOUT", default)
                     for part, default in (("CONNECT", connect), ("READ", read)))
        if min(pair) <= 0:
            raise SystemExit(f"statuspage: STATUSPAGE_{channel.upper()}_*_TIMEOUT must be more than 0 seconds")
        timeouts[channel] = pair
    return timeouts


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
        # Base of absolute links; empty = the console's setting, else the served address (domain.public_address).
        "PUBLIC_URL": env.get("STATUSPAGE_PUBLIC_URL", ""),
        # Share of a day's down time that a partial outage counts for in uptime (major outage counts fully).
        "UPTIME_WEIGHT_MAJOR": _number("STATUSPAGE_UPTIME_WEIGHT_MAJOR", "1.0"),
        "UPTIME_WEIGHT_PARTIAL": _number("STATUSPAGE_UPTIME_WEIGHT_PARTIAL", "0.3"),
        "UPTIME_WEIGHT_DEGRADED": _number("STATUSPAGE_UPTIME_WEIGHT_DEGRADED", "0.0"),
        "SMTP_URL": env.get("STATUSPAGE_SMTP_URL", ""),
        "SMS_URL": env.get("STATUSPAGE_SMS_URL", ""),
        "REDIS_URL": env.get("STATUSPAGE_REDIS_URL", ""),
        "SEND_TIMEOUTS": send_timeouts(),
        # Delivery retries (statuspage.claims): full-jitter backoff between base and max, attempts before a
        # delivery is dead, and how long a worker holds a claimed delivery before another may take it.
        "RETRY_BASE_SECONDS": _number("STATUSPAGE_RETRY_BASE_SECONDS", "15"),
        "RETRY_MAX_SECONDS": _number("STATUSPAGE_RETRY_MAX_SECONDS", "3600"),
        "MAX_ATTEMPTS": _number("STATUSPAGE_MAX_ATTEMPTS", "10", int),
        "LEASE_SECONDS": _number("STATUSPAGE_LEASE_SECONDS", "120"),
        # A destination (the SMTP relay, the SMS provider, a webhook or chat host) that timed out or refused
        # this many times in a row is left alone for the cool-down (never longer than RETRY_MAX_SECONDS), then
        # probed with one delivery (statuspage.breakers).
        "BREAKER_FAILURES": _number("STATUSPAGE_BREAKER_FAILURES", "5", int),
        "BREAKER_COOLDOWN_SECONDS": _number("STATUSPAGE_BREAKER_COOLDOWN_SECONDS", "30"),
        # Sending threads per channel (each channel has its own pool: a stalled one blocks only its own), e.g.
        # "email=8,sms=2"; a channel not named gets the worker's --concurrency.
        "WORKER_CHANNEL_THREADS": env.get("STATUSPAGE_WORKER_CHANNEL_THREADS", ""),
        "WORKER_HOST_CONCURRENCY": _number("STATUSPAGE_WORKER_HOST_CONCURRENCY", "8", int),
        "ALLOW_LOOPBACK_WEBHOOKS": _bool(env.get("STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS")),
        # Proxies in front whose X-Forwarded-For/-Proto/-Host are believed (werkzeug ProxyFix); 0 believes none,
        # so a client cannot pick its own address for rate limits and the audit trail.
        "TRUSTED_PROXIES": _hops("STATUSPAGE_TRUSTED_PROXIES"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("STATUSPAGE_SECURE_COOKIES")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("STATUSPAGE_SECURE_COOKIES")),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": env.get("STATUSPAGE_REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Anonymous chat and webhook sign-ups on /subscribe (each makes the worker contact a chosen host).
        "SUBSCRIBE_HOOK_LIMIT_PER_CLIENT": env.get("STATUSPAGE_SUBSCRIBE_HOOK_LIMIT_PER_CLIENT", "5 per hour"),
        "SUBSCRIBE_HOOK_LIMIT_PER_HOST": env.get("STATUSPAGE_SUBSCRIBE_HOOK_LIMIT_PER_HOST", "20 per hour"),
        # Management API v1 limit per key (Flask-Limiter syntax, e.g. "60 per minute;5 per second").
        "API_V1_RATE_LIMIT": env.get("STATUSPAGE_API_RATE_LIMIT") or "60 per minute",
        # The first admin ``statuspage setup`` creates.
        "ADMIN_EMAIL": env.get("STATUSPAGE_ADMIN_EMAIL") or "admin@localhost",
        "SNAPSHOT_MAX_AGE": _number("STATUSPAGE_SNAPSHOT_MAX_AGE", "10", int),
        # How often each process checks the public version (a write shows everywhere within this), and how
        # long that check may wait for the database before the last good snapshot is served instead.
        "SNAPSHOT_VERSION_TTL": _number("STATUSPAGE_SNAPSHOT_VERSION_TTL", "0.25"),
        "SNAPSHOT_DB_TIMEOUT": _number("STATUSPAGE_SNAPSHOT_DB_TIMEOUT", "2"),
        # Pages that show the clock (uptime bars' today, "ongoing for") are rendered again this often (s).
        "SNAPSHOT_CLOCK_WINDOW": _number("STATUSPAGE_SNAPSHOT_CLOCK_WINDOW", "60", int),
        # Days a delivered notification, its event and an unconfirmed sign-up are kept (domain.retention).
        "RETENTION_DAYS": _number("STATUSPAGE_RETENTION_DAYS", "90", int),
        # A directory the worker keeps a static export of the public site in (``statuspage export``); "" = off.
        "EXPORT_DIR": env.get("STATUSPAGE_EXPORT_DIR", ""),
        # A bearer token Prometheus sends to read /metrics; "" = only direct requests from this machine's loopback.
        "METRICS_TOKEN": env.get("STATUSPAGE_METRICS_TOKEN", ""),
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides)
    if config["RETENTION_DAYS"] < 1:
        raise SystemExit(f"statuspage: STATUSPAGE_RETENTION_DAYS must be at least 1, got {config['RETENTION_DAYS']}")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = load_secret_key(instance)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return config
