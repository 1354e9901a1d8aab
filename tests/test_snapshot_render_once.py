"""A new public version is rendered once, and nobody queues behind the render: within a process one thread renders
while the others answer from the previous version; across processes (stores sharing an instance folder, as gunicorn
workers do) one renders and the others take its copy from disk."""
import threading
from datetime import UTC, datetime

from statuspage.snapshot import SnapshotStore, VersionState

KEY = ("/",)


def make_store(folder):
    return SnapshotStore("sqlite://", folder, ttl=60, timeout=1)


def version(n: int, at: int = 0) -> VersionState:
    return VersionState(n, datetime(2026, 1, 1, 12, 0, at, tzinfo=UTC))


def render_once(store, state, text, calls=None):
    def render(now):
        if calls is not None:
            calls.append(text)
        return text
    return store.render(KEY, render, state, "text/html", False, None, 10)


def held_render(store, state, text):
    """Start rendering ``text`` in a thread that holds the render until released; returns (release, thread)."""
    started, release = threading.Event(), threading.Event()

    def render(now):
        started.set()
        release.wait(10)
        return text
    thread = threading.Thread(target=store.render, args=(KEY, render, state, "text/html", False, None, 10))
    thread.start()
    assert started.wait(10)
    return release, thread


def current(store, state):
    store.version.state, store.version.read_at = state, float("inf")  # no database: the version is given
    found = store.lookup(KEY)
    return found and found[0].body.decode()


def test_readers_get_the_previous_version_while_one_thread_renders_the_new(tmp_path):
    store = make_store(tmp_path)
    render_once(store, version(1), "version one")
    release, thread = held_render(store, version(2, 1), "version two")
    try:
        assert current(store, version(2, 1)) == "version one"  # answered at once, nobody waits
        calls = []
        assert render_once(store, version(2, 1), "rendered twice", calls).body == b"version one"
        assert calls == []  # a second thread did not render the same version again
    finally:
        release.set()
        thread.join(10)
    assert current(store, version(2, 1)) == "version two"
    assert store.renders == 2


def test_a_cold_reader_waits_for_the_render_in_flight_instead_of_rendering_again(tmp_path):
    store = make_store(tmp_path)
    release, thread = held_render(store, version(1), "first render")
    calls, answers = [], []
    waiter = threading.Thread(target=lambda: answers.append(render_once(store, version(1), "second", calls)))
    waiter.start()
    release.set()
    waiter.join(10)
    thread.join(10)
    assert [a.body for a in answers] == [b"first render"] and calls == []


def test_another_process_takes_the_copy_on_disk_instead_of_rendering(tmp_path):
    one, two = make_store(tmp_path), make_store(tmp_path)
    render_once(one, version(3), "rendered by process one")
    calls = []
    snap = render_once(two, version(3), "rendered by process two", calls)
    assert calls == [] and snap.body == b"rendered by process one"
    assert snap.etag == one.entries[KEY].etag


def test_while_another_process_renders_the_previous_version_answers(tmp_path):
    one, two = make_store(tmp_path), make_store(tmp_path)
    render_once(two, version(1), "old")
    release, thread = held_render(one, version(2, 1), "new")
    try:
        calls = []
        assert render_once(two, version(2, 1), "two renders too", calls).body == b"old" and calls == []
    finally:
        release.set()
        thread.join(10)
    calls = []
    assert render_once(two, version(2, 1), "two renders too", calls).body == b"new" and calls == []


def test_a_copy_from_an_earlier_database_with_the_same_version_number_is_not_taken(tmp_path):
    one, two = make_store(tmp_path), make_store(tmp_path)
    render_once(one, version(1, at=5), "the old database's page")
    calls = []
    assert render_once(two, version(1, at=9), "this database's page", calls).body == b"this database's page"
    assert calls == ["this database's page"]


def test_a_kept_bar_is_drawn_again_when_what_it_shows_changes(client, app):
    """The 90-day bars are kept between versions; a status change still shows in today's slice at once."""
    import re

    from statuspage.domain import components
    from statuspage.domain.recording import SYSTEM

    api = components.create_component(SYSTEM, name="Checkout API", showcase=True)
    components.create_component(SYSTEM, name="Search", showcase=True)

    def today_slices():
        html = client.get("/").get_data(as_text=True)
        bars = re.findall(r'<ol class="bar"[^>]*>(.*?)</ol>', html, re.S)
        return [re.findall(r"class=u-(\w)", bar)[-1] for bar in bars]

    assert today_slices() == ["o", "o"]
    components.update_component(SYSTEM, api.id, status="major_outage")
    assert today_slices() == ["x", "o"]
    assert len(app.extensions["fragments"]) == 3  # Search's bar was drawn once and kept
