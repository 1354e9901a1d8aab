from statuspage.domain import components
from statuspage.domain.recording import SYSTEM


def test_public_snapshots_carry_no_cookie_and_do_not_vary_on_cookie(client):
    components.create_component(SYSTEM, name="API")
    for path in ("/api/v2/summary.json", "/history.rss"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "public" in response.headers["Cache-Control"]


def test_two_apps_never_share_a_snapshot(tmp_path):
    from conftest import make_app

    bodies = []
    for n in range(2):
        app = make_app(tmp_path / str(n))
        with app.app_context():
            components.create_component(SYSTEM, name=f"Component {n}")
            bodies.append(app.test_client().get("/api/v2/components.json").get_data(as_text=True))
    assert "Component 0" in bodies[0] and "Component 1" in bodies[1] and "Component 0" not in bodies[1]


def test_public_responses_are_served_compressed_to_readers_that_accept_gzip(client):
    import gzip

    for n in range(30):
        components.create_component(SYSTEM, name=f"Component number {n}")
    plain = client.get("/api/v2/components.json")
    packed = client.get("/api/v2/components.json", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) < len(plain.data) / 3
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get("/api/v2/components.json", headers={"Accept-Encoding": "gzip",
                                                            "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
