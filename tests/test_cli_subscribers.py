"""``statuspage subscribers import/export``: progress, per-line errors, exit codes, round trip."""
import csv
import io

from statuspage.domain import subscriptions
from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import NotificationEvent, Subscriber


def all_subscribers() -> dict[str, Subscriber]:
    db.session.expire_all()
    return {s.target: s for s in db.session.scalars(db.select(Subscriber))}


def test_import_subscribes_valid_lines_reports_bad_ones_and_exits_2(app, runner, tmp_path):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    api = create_component(SYSTEM, name="API")
    source = tmp_path / "list.csv"
    source.write_text("channel,target,audience,components,min_impact\n"
                      "email,ana@example.com,public,API,major\n"
                      "email,not-an-address,public,,\n"
                      "\n"
                      "webhook,https://hooks.example.com/in,internal,,\n"
                      "pigeon,coo@example.com,,,\n")
    result = runner.invoke(args=["subscribers", "import", str(source)])
    assert result.exit_code == 2
    assert "Importing subscribers" in result.output
    assert "line 3: target:" in result.output and "line 6: channel:" in result.output
    assert "imported 2 (2 new, 0 already there); 2 invalid" in result.output
    subscribers = all_subscribers()
    assert set(subscribers) == {"ana@example.com", "https://hooks.example.com/in"}
    ana = subscribers["ana@example.com"]
    assert ana.component_ids == [api.id] and ana.min_impact == "major" and ana.state == "unconfirmed"
    assert subscribers["https://hooks.example.com/in"].audience == "internal"


def test_import_of_a_confirmed_list_sends_no_confirmation(app, runner, tmp_path):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    source = tmp_path / "optins.csv"
    source.write_text("email,ana@example.com\nemail,bo@example.com\n")  # no header: positional columns
    result = runner.invoke(args=["subscribers", "import", "--confirmed", str(source)])
    assert result.exit_code == 0, result.output
    assert {s.state for s in all_subscribers().values()} == {"active"}
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0


def test_importing_the_same_list_twice_adds_nobody(app, runner, tmp_path):
    source = tmp_path / "hooks.csv"
    source.write_text("webhook,https://hooks.example.com/a\nwebhook,https://hooks.example.com/b\n")
    assert runner.invoke(args=["subscribers", "import", str(source)]).exit_code == 0
    again = runner.invoke(args=["subscribers", "import", str(source)])
    assert again.exit_code == 0 and "(0 new, 2 already there)" in again.output
    assert len(all_subscribers()) == 2


def test_a_missing_file_is_one_line_and_exit_2(runner, tmp_path):
    result = runner.invoke(args=["subscribers", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_export_writes_every_subscriber_and_imports_back(app, runner, tmp_path):
    api = create_component(SYSTEM, name="API")
    subscriptions.subscribe("webhook", "https://hooks.example.com/a", component_ids=[api.id], min_impact="minor")
    subscriptions.subscribe("chat", "slack://T000/B000/XXXX/#ops", audience="internal")
    result = runner.invoke(args=["subscribers", "export"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["target"] for r in rows} == {"https://hooks.example.com/a", "slack://T000/B000/XXXX/#ops"}
    hook = next(r for r in rows if r["channel"] == "webhook")
    assert hook["components"] == api.id and hook["min_impact"] == "minor" and hook["state"] == "active"
    target = tmp_path / "out.csv"
    assert runner.invoke(args=["subscribers", "export", str(target)]).exit_code == 0
    for subscriber in list(all_subscribers().values()):
        subscriptions.delete_subscriber(SYSTEM, subscriber)
    back = runner.invoke(args=["subscribers", "import", "--confirmed", str(target)])
    assert back.exit_code == 0, back.output
    restored = all_subscribers()
    assert restored["https://hooks.example.com/a"].component_ids == [api.id]
    assert restored["slack://T000/B000/XXXX/#ops"].audience == "internal"
