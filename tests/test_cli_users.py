"""The people and API key commands: create-user, list-users, create-token, revoke-token, first admin."""
from statuspage.config import build_config
from statuspage.domain import tokens
from statuspage.domain.users import ensure_first_admin, sign_in
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, User

PASSWORD = "correct horse battery staple"


def create_user(runner, email="ops@example.com", role="manager", password=PASSWORD):
    return runner.invoke(args=["create-user", email, "--role", role, "--password-stdin"],
                         input=password + "\n")


def test_create_user_stores_a_hashed_password_that_signs_in(runner):
    result = create_user(runner)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "ops@example.com"))
    assert user.role == "manager"
    assert user.password_hash.startswith("scrypt:")
    assert sign_in("ops@example.com", PASSWORD) is not None
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.source == "cli"


def test_create_user_asks_for_the_password_twice_when_not_on_stdin(runner):
    result = runner.invoke(args=["create-user", "ops@example.com", "--role", "viewer"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert sign_in("ops@example.com", PASSWORD).role == "viewer"


def test_create_user_rejects_bad_input_with_one_line_and_exit_code_2(runner):
    cases = [
        (["create-user", "not-an-email", "--role", "admin", "--password-stdin"], PASSWORD, "email"),
        (["create-user", "ops@example.com", "--role", "admin", "--password-stdin"], "short", "12 characters"),
        (["create-user", "ops@example.com", "--role", "owner", "--password-stdin"], PASSWORD, "role"),
    ]
    for args, password, reason in cases:
        result = runner.invoke(args=args, input=password + "\n")
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output
        assert "Traceback" not in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_create_user_refuses_a_duplicate_email(runner):
    create_user(runner)
    result = create_user(runner, email="OPS@example.com")
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_create_token_prints_the_key_alone_and_stores_only_its_hash(runner):
    create_user(runner)
    result = runner.invoke(args=["create-token", "ops@example.com", "--name", "monitoring"])
    assert result.exit_code == 0, result.stderr
    key = result.stdout.strip()
    assert result.stdout == key + "\n"
    assert key.startswith("sp_") and len(key) > 30
    assert "not shown again" in result.stderr
    row = db.session.scalar(db.select(ApiToken))
    assert row.token_hash == tokens.hash_key(key)
    assert key not in (row.token_hash, row.prefix)
    assert tokens.authenticate(key).email == "ops@example.com"


def test_revoked_token_no_longer_authenticates(runner):
    create_user(runner)
    key = runner.invoke(args=["create-token", "ops@example.com", "--name", "ci"]).stdout.strip()
    token_id = db.session.scalar(db.select(ApiToken.id))
    result = runner.invoke(args=["revoke-token", str(token_id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tokens.authenticate(key) is None


def test_token_commands_reject_unknown_users_and_ids(runner):
    result = runner.invoke(args=["create-token", "ghost@example.com", "--name", "x"])
    assert result.exit_code == 2 and "no user with email ghost@example.com" in result.output
    assert result.stdout == ""
    result = runner.invoke(args=["revoke-token", "999"])
    assert result.exit_code == 2 and "no API key with id 999" in result.output
    result = runner.invoke(args=["revoke-token", "abc"])
    assert result.exit_code == 2


def test_list_users_shows_roles_and_active_keys(runner):
    create_user(runner, "a@example.com", "admin")
    create_user(runner, "v@example.com", "viewer")
    runner.invoke(args=["create-token", "a@example.com", "--name", "deploy bot"])
    output = runner.invoke(args=["list-users"]).output
    assert "a@example.com" in output and "admin" in output
    assert "v@example.com" in output and "viewer" in output
    assert "deploy bot" in output


def test_first_admin_is_created_once_with_a_one_time_password(app):
    email, password = ensure_first_admin()
    assert email == "admin@localhost"
    assert len(password) >= 12
    user = sign_in(email, password)
    assert user is not None and user.role == "admin"
    assert ensure_first_admin() is None


def test_first_admin_email_comes_from_the_environment(app, monkeypatch, tmp_path):
    monkeypatch.setenv("STATUSPAGE_ADMIN_EMAIL", "Chief@Example.com")
    app.config["ADMIN_EMAIL"] = build_config({"INSTANCE_PATH": str(tmp_path / "i")})["ADMIN_EMAIL"]
    email, _ = ensure_first_admin()
    assert email == "chief@example.com"


def test_no_first_admin_when_someone_already_exists(runner):
    create_user(runner, role="viewer")
    assert ensure_first_admin() is None


def test_an_unknown_email_costs_the_same_hashing_as_a_wrong_password():
    """Sign-in checks an unknown email against a fixed hash made with the parameters real passwords get, so a
    miss takes as long as a wrong password (and no command pays for making that hash at start-up)."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from statuspage.domain.users import _DUMMY_HASH

    assert _DUMMY_HASH.split("$")[0] == generate_password_hash("any password at all").split("$")[0]
    assert not check_password_hash(_DUMMY_HASH, "")
