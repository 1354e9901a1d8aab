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
