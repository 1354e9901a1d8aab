"""The demo that `make run` seeds shows every page with real content on first run."""
from statuspage import demo


def test_the_demo_fills_every_page_a_new_user_opens(app, client, login):
    demo.seed()
    public = client.get("/").get_data(as_text=True)
    assert "Increased latency on the REST API" in public and "Search cluster migration" in public
    assert "Nightly invoicing run stalled" not in public and "connection-pool settings from deploy" not in public
    login("viewer")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Needs you now" in dashboard and "Overdue action items" in dashboard
    internal = client.get("/internal").get_data(as_text=True)
    assert "Nightly invoicing run stalled" in internal
    metrics = client.get("/internal/metrics")
    assert metrics.status_code == 200 and "On average we acknowledged" in metrics.get_data(as_text=True)
    assert "Connection pool too small after deploys" in client.get("/admin/problems").get_data(as_text=True)
