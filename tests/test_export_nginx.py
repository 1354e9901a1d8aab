"""The README's two nginx configurations, run by a real nginx against a real export: every exported URL answers
the exported bytes (gzip and brotli precompressed, history pages through the ``$arg_page`` map) while the app is
down, and with the app up the forms still reach it. Skips when nginx is not installed."""
import gzip
import http.client
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import brotli
import pytest
from conftest import require
from test_export import exported, exported_files, seeded  # noqa: F401  (same export as test_export.py)

README = Path(__file__).resolve().parent.parent / "README.md"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def readme_blocks() -> tuple[str, str]:
    """The http-level text of the 'export first' and the 'app first' configurations."""
    section = README.read_text().split("## Serving the page when the app is down", 1)[1].split("\n## ", 1)[0]
    first, second = re.findall(r"```nginx\n(.*?)```", section, re.S)
    shared = first.split("\nserver {", 1)[0]  # the maps and the upstream
    return first, shared + "\n" + second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(tmp_path):
    """``nginx(block, root, app_port)`` starts nginx with one README block; yields a GET function."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    require(Path(binary).exists(), "nginx is not installed (apt-get install nginx-light libnginx-mod-http-brotli-static)")
    processes = []

    def start(block: str, root: Path, app_port: int):
        port, prefix = free_port(), tmp_path / f"nginx-{len(processes)}"
        prefix.mkdir()
        block = (block.replace("listen 80;", f"listen 127.0.0.1:{port};")
                 .replace("/srv/statuspage/site", str(root)).replace("127.0.0.1:8000", f"127.0.0.1:{app_port}"))
        if not BROTLI_MODULE.exists():
            block = block.replace("brotli_static on;", "")
        temp_paths = "".join(f"{name}_temp_path {prefix}/{name};\n" for name in
                             ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (prefix / "nginx.conf").write_text(
            f"user root;\ndaemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            + (f"load_module {BROTLI_MODULE};\n" if BROTLI_MODULE.exists() else "")
            + f"events {{ worker_connections 64; }}\nhttp {{\naccess_log off;\n{temp_paths}{block}\n}}\n")
        checked = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        processes.append(subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]))
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        def get(path: str, headers: dict | None = None):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            return response, body
        return get

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def url_of(root: Path, file: Path) -> str:
    name = file.relative_to(root).as_posix()
    if name.startswith("history/page/"):
        return "/history?page=" + name.split("/")[2]
    return "/" + name.removesuffix("index.html").rstrip("/") if name.endswith("index.html") else "/" + name


@pytest.mark.parametrize("layout", [0, 1], ids=["export-first", "app-first"])
def test_nginx_serves_every_exported_url_from_the_export_while_the_app_is_down(exported, nginx, layout):  # noqa: F811
    get = nginx(readme_blocks()[layout], exported, app_port=free_port())  # nothing listens there: the app is down
    files = exported_files(exported)
    assert any("history/page/2" in str(f) for f in files)
    for file in files:
        url = url_of(exported, file) or "/"
        response, body = get(url)
        assert response.status == 200 and body == file.read_bytes(), f"{url} -> {response.status}"
    response, body = get("/api/v2/summary.json", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip" and gzip.decompress(body).startswith(b"{")
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert response.getheader("Content-Type").startswith("application/json")
    assert get("/")[0].getheader("Access-Control-Allow-Origin") is None
    assert get("/maintenance.ics")[0].getheader("Content-Type").startswith("text/calendar")
    assert get("/badge.json")[0].getheader("Access-Control-Allow-Origin") == "*"
    if layout == 0:  # the export answers with the app's own security headers: only the notice may be framed
        framed = get("/embed/frame")[0]
        assert framed.getheader("X-Frame-Options") is None
        assert "frame-ancestors *" in framed.getheader("Content-Security-Policy")
        assert get("/")[0].getheader("X-Frame-Options") == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in get("/history")[0].getheader("Content-Security-Policy")
    if BROTLI_MODULE.exists():
        response, body = get("/", {"Accept-Encoding": "br"})
        assert response.getheader("Content-Encoding") == "br"
        assert brotli.decompress(body) == (exported / "index.html").read_bytes()
    assert get("/history?page=../../etc/passwd")[1] == (exported / "history/index.html").read_bytes()
    assert get("/subscribe")[0].status in (502, 503), "a form needs the app"


@pytest.mark.parametrize("layout", [0, 1], ids=["export-first", "app-first"])
def test_nginx_hands_what_the_export_lacks_to_the_running_app(exported, nginx, live_server, layout):  # noqa: F811
    port = int(live_server.url.rsplit(":", 1)[1])
    get = nginx(readme_blocks()[layout], exported, app_port=port)
    response, body = get("/subscribe")
    assert response.status == 200 and b"<form" in body
    assert response.getheader("Cache-Control", "").count("max-age") <= 1, "headers added twice"
    response, _ = get("/")
    assert response.status == 200 and response.getheader("X-Served-By") in (None, "app")
