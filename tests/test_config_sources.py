"""Settings come from one place: ``statuspage/config.py`` reads the environment, everything else reads the app
config, so a setting is named, defaulted and documented once (README's settings table)."""
import ast
import re
from pathlib import Path

from statuspage.config import build_config

ROOT = Path(__file__).resolve().parent.parent
# prometheus-client's own PROMETHEUS_MULTIPROC_DIR must be read before the app exists (at import, in gunicorn's
# master): allowed under telemetry/ only.
ALLOWED = {"statuspage/config.py"}
ALLOWED_UNDER = ("statuspage/telemetry/",)


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch ``os.environ`` / ``os.getenv`` / ``environ`` / ``getenv`` imported from os."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "putenv", "environb"} \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(alias.name in {"environ", "getenv", "environb"} for alias in node.names):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_config_reads_the_environment():
    offenders = []
    for package in ("statuspage", "notifiers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ALLOWED or name.startswith(ALLOWED_UNDER):
                continue
            offenders += [f"{name}:{line}" for line in _environment_reads(ast.parse(path.read_text(), name))]
    assert not offenders, ("read the environment in statuspage/config.py (build_config) and the app config "
                           f"at the use site: {offenders}")


def test_the_check_catches_an_environment_read():
    assert _environment_reads(ast.parse("import os\nx = os.environ.get('A')\ny = os.getenv('B')")) == [2, 3]
    assert _environment_reads(ast.parse("from os import environ")) == [1]


def test_settings_read_elsewhere_before_come_from_their_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("STATUSPAGE_API_RATE_LIMIT", "7 per minute")
    monkeypatch.setenv("STATUSPAGE_ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("STATUSPAGE_RETRY_BASE_SECONDS", "2.5")
    monkeypatch.setenv("STATUSPAGE_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("STATUSPAGE_LEASE_SECONDS", "")
    config = build_config({"INSTANCE_PATH": str(tmp_path / "i")})
    assert config["API_V1_RATE_LIMIT"] == "7 per minute"
    assert config["ADMIN_EMAIL"] == "ops@example.com"
    assert config["RETRY_BASE_SECONDS"] == 2.5 and config["MAX_ATTEMPTS"] == 4
    assert config["LEASE_SECONDS"] == 120 and config["RETRY_MAX_SECONDS"] == 3600  # empty or unset: default


def test_every_variable_config_reads_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r'"(STATUSPAGE_[A-Z0-9_]+)"', (ROOT / "statuspage/config.py").read_text()))

    def documented(name: str) -> bool:  # in full, or as a `_SUFFIX` beside its sibling (`_RETRY_MAX_SECONDS`)
        parts = name.split("_")
        return name in readme or any(f"`_{'_'.join(parts[i:])}`" in readme for i in range(1, len(parts)))

    assert names and not sorted(n for n in names if not documented(n)), "add them to README's settings table"
