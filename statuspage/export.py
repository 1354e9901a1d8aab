"""``statuspage export``: the whole public site as files that a web server, CDN or object store can serve alone.

Every file is exactly what the live site answers an anonymous reader: each one is fetched with a GET through
Flask's test client (no cookie, ``Accept-Encoding: identity``), so the export cannot drift from the live pages
and never holds anything a reader could not see. The layout follows the app's own URLs (the README's nginx
configurations serve it with ``try_files``; tests/test_export_nginx.py runs them):

    /                          index.html
    /history                   history/index.html
    /history?page=N  (N >= 2)  history/page/N/index.html  (nginx maps ``$arg_page``; no link is rewritten)
    /incidents/<id>            incidents/<id>/index.html
    /embed/frame               embed/frame/index.html
    a path whose last segment has a dot keeps its path: api/v2/summary.json, history.rss, static/css/site.css,
    badge.svg, embed/script.js, components/<id>/history.atom (each public component's feeds and badges)

Each file has a ``.gz`` and a ``.br`` beside it (``gzip_static`` / ``brotli_static``). A new export is built
in a fresh directory beside DIR and DIR, a symlink, is switched to it with one rename: a reader sees the old
site or the new one, never a mix, and a failed export (say, the database is down) leaves the last good one.
"""
import gzip
import os
import shutil
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import brotli
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from .domain import visibility
from .extensions import db
from .models import Component, Incident, Site
from .snapshot import COMPONENT_SURFACES

MARKER = ".statuspage-export"  # written last into a finished build; only such directories are replaced
KEEP_BUILDS = 2  # the current build and the one before it (a reader may still be sending its files)
# Brotli's level 9 is within ~10% of level 11's size at ~1/20 of its time: the worker exports after each change.
BROTLI_QUALITY = 9
EXPORTED_BLUEPRINTS = ("public", "feeds", "api_v2", "badges", "embed")
# Forms that only the running app can answer; the README's nginx configuration hands them to it.
LEFT_TO_THE_APP = ("/subscribe",)


class ExportError(Exception):
    """The export could not be written; the message is one line for the person running it."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    build: Path
    version: int
    files: int


def public_version() -> int:
    """The version the public site is at; every public-visible write moves it (the one place to read it)."""
    return db.session.scalar(select(Site.public_version).where(Site.id == 1)) or 0


def file_for(path: str, query: str = "") -> str | None:
    """The file (relative to the export) that answers ``path?query``, or None when the export has none."""
    args = dict(parse_qsl(query))
    page = args.pop("page", "1") if path == "/history" else "1"
    if args or ".." in path.split("/"):
        return None
    if page != "1":  # the same pattern as the nginx map: 2..999999, no leading zero
        return f"history/page/{page}/index.html" if page.isdigit() and page[0] != "0" and len(page) <= 6 else None
    if path.endswith("/"):
        return f"{path.strip('/')}/index.html".lstrip("/")
    return path.lstrip("/") if "." in path.rsplit("/", 1)[-1] else f"{path.lstrip('/')}/index.html"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def local_links(html: str, page_path: str) -> list[str]:
    """Site-local links (``/path?query``) of an HTML page, fragments dropped, other hosts ignored."""
    parser = _Links()
    parser.feed(html)
    links = []
    for href in parser.found:
        url = urlsplit(urljoin(f"http://export.invalid{page_path}", href))
        if url.netloc == "export.invalid" and url.scheme == "http":
            links.append(url.path + (f"?{url.query}" if url.query else ""))
    return links


class _Crawler:
    """Fetches public URLs as an anonymous reader and follows the links of the HTML it gets."""

    def __init__(self, app: Flask):
        self.app = app
        self.client = app.test_client(use_cookies=False)
        self.adapter = app.url_map.bind("export.invalid")
        self.pages: dict[str, bytes] = {}  # file -> body
        self.seen: set[str] = set()

    def exported(self, path: str) -> bool:
        """Whether ``path`` is a public GET this export writes (internal routes and forms are not)."""
        try:
            endpoint, _ = self.adapter.match(path, method="GET")
        except HTTPException:
            return False
        return endpoint == "static" or (endpoint.split(".")[0] in EXPORTED_BLUEPRINTS
                                        and not path.startswith("/internal"))

    def fetch(self, url: str, required: bool) -> None:
        if url in self.seen:
            return
        self.seen.add(url)
        path, _, query = url.partition("?")
        target = file_for(path, query)
        if target is None or not self.exported(path):
            return
        response = self.client.get(url, headers={"Accept-Encoding": "identity"})
        try:
            if response.status_code != 200:
                if required:
                    raise ExportError(f"GET {url} answered {response.status_code}; the previous export is kept")
                return
            body = response.get_data()
        finally:
            response.close()
        body = {"gzip": gzip.decompress, "br": brotli.decompress}.get(
            response.headers.get("Content-Encoding", ""), bytes)(body)
        self.pages[target] = body
        if response.mimetype == "text/html":
            for link in local_links(body.decode("utf-8", "replace"), path):
                self.fetch(link, required=False)


def _start_urls(app: Flask) -> list[str]:
    """Parameterless public routes and every static file."""
    urls = sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments
                  and rule.endpoint.split(".")[0] in EXPORTED_BLUEPRINTS and not rule.rule.startswith("/internal"))
    static = Path(app.static_folder)
    return urls + sorted(f"/static/{p.relative_to(static).as_posix()}" for p in static.rglob("*") if p.is_file())


def public_incident_ids() -> list[str]:
    return list(db.session.scalars(select(Incident.id).where(visibility.incident_filter(visibility.PUBLIC))
                                   .order_by(Incident.id)))


def public_component_urls() -> list[str]:
    """Every public component's feeds, calendar and badges."""
    ids = db.session.scalars(select(Component.id).where(visibility.component_filter(visibility.PUBLIC))
                             .order_by(Component.id))
    return [f"/components/{i}/{name}" for i in ids for name in sorted(COMPONENT_SURFACES)]


def export_site(app: Flask, directory: Path, changed_incidents: set[str] | None = None) -> ExportResult:
    """Write the public site into a new build and point ``directory`` (a symlink) at it; see the module doc.

    With ``changed_incidents``, the page of a public incident outside that set is taken from the previous build
    when it has one (hard-linked) instead of being fetched again: the worker's cheap export after one update.
    Everything else (index, history, API, feeds, assets) is always fetched."""
    directory = Path(directory).absolute()
    previous = directory.resolve() if directory.is_symlink() else None
    with app.app_context():  # a session of its own: one consistent read, whatever the caller's session holds
        version = public_version()
        crawler = _Crawler(app)
        ids = public_incident_ids()
        reused = [] if changed_incidents is None or previous is None else [
            f"incidents/{i}/index.html" for i in ids
            if i not in changed_incidents and (previous / f"incidents/{i}/index.html").is_file()]
        crawler.seen |= {"/" + name.removesuffix("/index.html") for name in reused}
        for url in _start_urls(app) + [f"/incidents/{i}" for i in ids] + public_component_urls():
            crawler.fetch(url, required=not url.startswith(("/incidents/", "/components/")))
        db.session.rollback()
    build = None
    try:
        builds = directory.parent / f".{directory.name}.builds"
        builds.mkdir(parents=True, exist_ok=True)
        build = builds / f"{time.time():017.6f}-{os.getpid()}-v{version}"
        build.mkdir(mode=0o755)
        for name, body in crawler.pages.items():
            _write_with_compressed(build, name, body, previous)
        for name in reused:
            _write_with_compressed(build, name, None, previous)
        (build / MARKER).write_text(f"version {version}\n")
        _switch(directory, build)
    except (OSError, ExportError) as exc:
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"cannot write the export to {directory}: {exc.strerror or exc}") from None
    _prune(builds, keep={build, previous})
    return ExportResult(directory, build, version, len(crawler.pages) + len(reused))


def _write_with_compressed(build: Path, name: str, body: bytes | None, previous: Path | None) -> None:
    """``name`` plus ``name.gz`` and ``name.br``. A file whose bytes did not change since the last build (or
    ``body`` None: reused) is hard-linked from it with its compressed copies: no compressing again, and the same
    mtime, so a web server's ETag and Last-Modified stay put and its readers keep getting 304s."""
    path = build / name
    path.parent.mkdir(parents=True, exist_ok=True)
    old = previous / name if previous else None
    if body is None:
        body = old.read_bytes()
    unchanged = old is not None and old.is_file() and old.read_bytes() == body
    for suffix, encode in (("", bytes), (".gz", _gzip), (".br", _brotli)):
        if unchanged:
            try:
                os.link(f"{old}{suffix}", f"{path}{suffix}")
                continue
            except OSError:
                pass  # a missing copy or another file system: write it afresh
        Path(f"{path}{suffix}").write_bytes(encode(body))


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=9, mtime=0)


def _brotli(body: bytes) -> bytes:
    return brotli.compress(body, quality=BROTLI_QUALITY)


def _switch(directory: Path, build: Path) -> None:
    """Point ``directory`` at ``build`` with one atomic rename of a symlink. A real directory that an earlier
    export (or nobody) wrote is moved aside first, once; any other directory is refused, never overwritten."""
    if directory.exists() and not directory.is_symlink():
        if not directory.is_dir():
            raise ExportError(f"cannot write the export to {directory}: it is a file")
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise ExportError(f"{directory} is a directory that statuspage did not write; "
                              "give a new or empty directory")
        if any(directory.iterdir()):
            directory.rename(build.parent / f"{time.time():017.6f}-moved-aside")
        else:
            directory.rmdir()
    link = directory.parent / f".{directory.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(build, directory.parent))
    os.replace(link, directory)


def _prune(builds: Path, keep: set) -> None:
    """Remove finished builds beyond the newest KEEP_BUILDS, and builds an exporter killed midway left behind
    (no MARKER, an hour old: a build still being written has no MARKER either, but is young)."""
    try:
        finished = sorted((p for p in builds.iterdir() if (p / MARKER).exists()), reverse=True)
        abandoned = [p for p in builds.iterdir()
                     if not (p / MARKER).exists() and time.time() - p.stat().st_mtime > 3600]
    except OSError:
        return  # the new export is in place; old builds wait for the next run
    for old in finished[KEEP_BUILDS:] + abandoned:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)

