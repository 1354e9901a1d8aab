"""Public routes fuzzed with hypothesis over paths, path arguments and query strings: never a 5xx.

Every public GET route (found by walking the URL map, as tests/test_public_surfaces.py does) is called with
generated path arguments and query strings, including control characters, NUL, huge numbers and text from
every Unicode plane; arbitrary paths are tried too. Deterministic (derandomized) so CI sees the same run.
"""
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_public_surfaces import public_get_rules

from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain.recording import SYSTEM

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
# Text as a hostile client types it: any code point a URL can carry, with the troublesome ones made likely.
NASTY = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["\x00", "%00", "-1", "0", "288230376151711743", "9" * 40, "1e309", "NaN", "../..", "%",
                     "' OR 1=1 --", "<script>", "\u2028", "\ufffe", "unresolved", "page", ".json"]),
    st.integers().map(str),
)
QUERY = st.dictionaries(st.sampled_from(["page", "per_page", "limit", "q", "tz", "next", "format"]) | NASTY,
                        NASTY, max_size=4)


def url(path: str, query: dict) -> str:
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items())
    return path + ("?" + encoded if encoded else "")


def assert_not_a_server_error(client, target: str) -> None:
    response = client.get(target)
    assert response.status_code < 500, (target, response.status_code, response.data[:300])


def seed(app) -> None:
    web = component_rules.create_component(SYSTEM, name="Web")
    incident_rules.open_incident(SYSTEM, name="Web down", body="Looking.", components={web.id: "major_outage"})


def test_every_public_route_survives_generated_arguments_and_query_strings(app, client):
    seed(app)
    rules = sorted(public_get_rules(app), key=lambda rule: rule.rule)
    assert len(rules) >= 10, "the public URL map was not found"

    @FUZZ
    @given(data=st.data())
    def check(data):
        rule = data.draw(st.sampled_from(rules))
        values = {name: data.draw(NASTY.filter(lambda v: v and "/" not in v)) for name in rule.arguments}
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<{name}>", quote(value, safe="")).replace(f"<string:{name}>", quote(value))
        assert_not_a_server_error(client, url(path, data.draw(QUERY)))

    check()


def test_any_path_and_query_string_is_never_a_server_error(app, client):
    seed(app)

    @FUZZ
    @given(segments=st.lists(NASTY, min_size=1, max_size=4), query=QUERY)
    def check(segments, query):
        assert_not_a_server_error(client, url("/" + "/".join(quote(s, safe="") for s in segments), query))

    check()
