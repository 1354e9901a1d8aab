def test_pages_forbid_foreign_scripts_framing_and_sniffing(client):
    response = client.get("/history")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_json_answers_carry_no_html_policy_but_are_not_sniffed(client):
    response = client.get("/api/v2/status.json")
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
