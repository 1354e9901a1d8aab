"""``statuspage export DIR`` writes the whole public site, nothing internal, with .gz and .br beside each file,
every link resolving inside it under the README's nginx rules; the worker keeps it current."""
import gzip
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import brotli
import pytest
from test_public_surfaces import MARKERS, seeded  # noqa: F401  (the same seeded site, internal markers and all)

from statuspage import export
from statuspage.domain import incidents as incident_rules
from statuspage.domain.recording import SYSTEM
from statuspage.export_keeper import ExportKeeper
from statuspage.worker import run_worker

V2 = ["summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
      "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"]
PAGE = re.compile(r"[1-9][0-9]{0,5}")  # the README's `map $arg_page $history_page`


def nginx_resolve(root: Path, path: str, query: str = "") -> Path | None:
    """The file the README's nginx configuration answers ``path?query`` with, or None (it goes to the app):
    ``location = /history`` tries the mapped page first; ``location /`` tries ``$uri $uri/index.html``."""
    if path == "/history":
        page = parse_qs(query).get("page", [""])[0]
        candidates = [f"/history/page/{page if PAGE.fullmatch(page) else 1}/index.html", "/history/index.html"]
    else:
        candidates = [path, f"{path.rstrip('/')}/index.html"]
    for candidate in candidates:
        file = root / candidate.lstrip("/")
        if file.is_file() and root.resolve() in file.resolve().parents:
            return file
    return None


def exported_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".gz", ".br")
                  and p.name != export.MARKER)


@pytest.fixture
def exported(app, runner, seeded, tmp_path):  # noqa: F811
    target = tmp_path / "site"
    result = runner.invoke(args=["export", str(target)])
    assert result.exit_code == 0, result.output
    assert "exported" in result.output
    return target


def test_the_export_holds_every_public_page_feed_and_asset_as_the_live_site_serves_it(client, seeded, exported):  # noqa: F811
    expected = {"/": "index.html", "/history": "history/index.html", "/history?page=2": "history/page/2/index.html",
                "/history.rss": "history.rss", "/history.atom": "history.atom", "/maintenance.ics": "maintenance.ics",
                "/static/css/site.css": "static/css/site.css", "/static/js/time.js": "static/js/time.js"}
    expected |= {f"/api/v2/{name}": f"api/v2/{name}" for name in V2}
    expected |= {f"/incidents/{i}": f"incidents/{i}/index.html" for i in seeded["public_ids"]}
    expected |= {"/badge.svg": "badge.svg", "/badge.json": "badge.json", "/embed/script.js": "embed/script.js",
                 "/embed/frame": "embed/frame/index.html"}
    expected |= {f"/components/{i}/{name}": f"components/{i}/{name}" for i in seeded["public_component_ids"]
                 for name in ("history.rss", "history.atom", "maintenance.ics", "badge.svg", "badge.json")}
    for url, name in expected.items():
        file = exported / name
        assert file.is_file(), f"{url} is not exported as {name}"
        live = client.get(url, headers={"Accept-Encoding": "identity"})
        assert live.status_code == 200 and file.read_bytes() == live.data, f"{name} differs from GET {url}"
    assert "Old incident 24" in (exported / "history/page/2/index.html").read_text()


def test_nothing_internal_is_anywhere_in_the_export(seeded, exported):  # noqa: F811
    for file in exported.rglob("*"):
        if not file.is_file():
            continue
        data = file.read_bytes()
        text = {".gz": gzip.decompress, ".br": brotli.decompress}.get(file.suffix, bytes)(data).decode()
        leaked = [what for what, marker in MARKERS.items() if marker in text]
        leaked += [f"id {i}" for i in seeded["internal_ids"] if i in text or i in str(file)]
        assert not leaked, f"{file.relative_to(exported)} shows {', '.join(leaked)}"
    assert not (exported / "internal").exists() and not (exported / "admin").exists()
    assert not (exported / "subscribe").exists() and not (exported / "login").exists()


def test_a_gz_and_a_br_beside_each_file_decompress_to_the_same_bytes(exported):
    files = exported_files(exported)
    assert len(files) > 40
    for file in files:
        body = file.read_bytes()
        assert gzip.decompress(Path(f"{file}.gz").read_bytes()) == body, f"{file}.gz"
        assert brotli.decompress(Path(f"{file}.br").read_bytes()) == body, f"{file}.br"


def test_every_link_inside_the_export_resolves_inside_it(exported):
    checked, left_to_app, broken = 0, set(), []
    for file in exported.rglob("*.html"):
        page = "/" + file.relative_to(exported).as_posix().removesuffix("index.html")
        for link in export.local_links(file.read_text(), page):
            path, _, query = link.partition("?")
            if path in export.LEFT_TO_THE_APP:
                left_to_app.add(path)
            elif nginx_resolve(exported, path, query) is None:
                broken.append(f"{page} -> {link}")
            checked += 1
    assert not broken, f"links that do not resolve inside the export: {broken[:10]}"
    assert checked > 200 and left_to_app == {"/subscribe"}
    assert nginx_resolve(exported, "/history", "page=2").parts[-3:] == ("page", "2", "index.html")
    assert nginx_resolve(exported, "/history", "page=../../etc").name == "index.html"


def test_each_export_is_switched_in_whole_and_old_builds_are_removed(app, runner, exported):
    first = exported.resolve()
    css, index = os.stat(exported / "static/css/site.css"), os.stat(exported / "index.html")
    incident_rules.open_incident(SYSTEM, name="Fresh trouble", body="Looking", deliver_notifications=False)
    for _ in range(2):
        assert runner.invoke(args=["export", str(exported)]).exit_code == 0
    assert os.stat(exported / "static/css/site.css").st_ino == css.st_ino, "unchanged files keep their inode"
    assert os.stat(exported / "static/css/site.css.br").st_nlink == 2
    assert os.stat(exported / "index.html").st_ino != index.st_ino
    assert exported.is_symlink() and exported.resolve() != first and not first.exists()
    assert "Fresh trouble" in (exported / "index.html").read_text()
    builds = [p for p in exported.parent.glob(f".{exported.name}.builds/*")]
    assert len(builds) == export.KEEP_BUILDS


def test_a_failing_page_keeps_the_last_good_export(app, runner, exported):
    before = exported.resolve()
    inner = app.wsgi_app

    def failing_front_page(environ, start_response):
        if environ["PATH_INFO"] == "/":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        return inner(environ, start_response)

    app.wsgi_app = failing_front_page
    result = runner.invoke(args=["export", str(exported)])
    assert result.exit_code == 1 and "previous export is kept" in result.output
    assert exported.resolve() == before and (exported / "index.html").is_file()
    assert len(list(exported.parent.glob(f".{exported.name}.builds/*"))) == 1, "the failed build is left behind"


def test_the_cli_prints_one_line_when_the_directory_cannot_be_written(app, runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = runner.invoke(args=["export", str(blocker / "site")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "cannot write the export" in result.output


def test_it_refuses_to_replace_a_directory_it_did_not_write(app, runner, tmp_path):
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = runner.invoke(args=["export", str(precious)])
    assert result.exit_code == 1 and "did not write" in result.output
    assert (precious / "notes.txt").read_text() == "keep me" and not precious.is_symlink()


def test_the_worker_keeps_the_export_current_after_a_public_update(app, seeded, tmp_path):  # noqa: F811
    target = tmp_path / "served"
    app.config["EXPORT_DIR"] = str(target)
    run_worker(app, once=True, sender=lambda job: None)
    assert (target / "index.html").is_file()
    incident_id = seeded["public_ids"][0]
    incident_rules.post_update(SYSTEM, incident_id, body="Qzy fix deployed, watching", deliver_notifications=False)
    run_worker(app, once=True, sender=lambda job: None)
    assert "Qzy fix deployed" in (target / "incidents" / incident_id / "index.html").read_text()
    assert "Qzy fix deployed" in (target / "index.html").read_text()


def test_the_keeper_exports_at_most_once_per_debounce_window(app, seeded, tmp_path):  # noqa: F811
    keeper = ExportKeeper(app, tmp_path / "served", debounce=2.0, lag=0, background=False)
    assert keeper.tick(now=100.0)
    assert not keeper.tick(now=100.5), "nothing changed"
    incident_rules.post_update(SYSTEM, seeded["public_ids"][0], body="Burst 1", deliver_notifications=False)
    assert not keeper.tick(now=101.0), "inside the debounce window"
    incident_rules.post_update(SYSTEM, seeded["public_ids"][0], body="Burst 2", deliver_notifications=False)
    assert keeper.tick(now=102.1)
    assert "Burst 2" in (tmp_path / "served" / "index.html").read_text()
    assert not keeper.tick(now=102.2)


def test_after_one_incident_changes_the_keeper_fetches_its_page_and_reuses_the_others(app, seeded, tmp_path):  # noqa: F811
    served = tmp_path / "served"
    keeper = ExportKeeper(app, served, debounce=0, lag=0, background=False, audit_overlap=timedelta(0))
    keeper.tick(now=1.0)
    changed, untouched = seeded["public_ids"][3], seeded["public_ids"][4]
    incident_rules.update_incident(SYSTEM, changed, name="Qzy renamed afterwards")
    requested, inner = [], app.wsgi_app
    app.wsgi_app = lambda environ, start: requested.append(environ["PATH_INFO"]) or inner(environ, start)
    keeper.tick(now=2.0)
    assert "Qzy renamed afterwards" in (served / "incidents" / changed / "index.html").read_text()
    assert f"/incidents/{changed}" in requested and f"/incidents/{seeded['public_ids'][0]}" in requested
    assert f"/incidents/{untouched}" not in requested and (served / "incidents" / untouched / "index.html").is_file()
    assert "/history" in requested and "/api/v2/summary.json" in requested
    assert keeper.last.files == len(exported_files(served))

    incident_rules.update_incident(SYSTEM, untouched, visibility="internal")
    keeper.tick(now=3.0)
    assert not (served / "incidents" / untouched).exists(), "an incident made internal leaves the export"


def test_a_component_change_makes_the_keeper_fetch_every_page_again(app, seeded, tmp_path):  # noqa: F811
    from statuspage.domain import components as component_rules
    from statuspage.models import Component

    served = tmp_path / "served"
    keeper = ExportKeeper(app, served, debounce=0, lag=0, background=False, audit_overlap=timedelta(0))
    keeper.tick(now=1.0)
    api = Component.query.filter_by(name="API").one()
    component_rules.update_component(SYSTEM, api.id, name="Qzy Public API")
    keeper.tick(now=2.0)
    for incident_id in seeded["public_ids"][1:3]:
        assert "Qzy Public API" in (served / "incidents" / incident_id / "index.html").read_text()


def test_the_worker_exports_in_the_background_without_holding_deliveries(app, seeded, tmp_path):  # noqa: F811
    keeper = ExportKeeper(app, tmp_path / "served", debounce=0, lag=0)
    assert keeper.tick()
    assert not keeper.tick(), "one export at a time"
    keeper.join(timeout=120)
    assert (tmp_path / "served" / "index.html").is_file()


def test_the_worker_is_not_stopped_by_an_export_it_cannot_write(app, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    app.config["EXPORT_DIR"] = str(blocker / "site")
    totals = run_worker(app, once=True, sender=lambda job: None)
    assert totals["passes"] >= 1
    assert "the static export failed" in caplog.text
    assert os.path.isfile(blocker)
