import os

from statuspage.config import build_config


def test_a_missing_instance_directory_is_created_with_a_secret_key(tmp_path, capsys):
    instance = tmp_path / "instance"
    config = build_config({"INSTANCE_PATH": str(instance)})
    assert instance.is_dir()
    assert len(config["SECRET_KEY"]) >= 32
    assert oct((instance / "secret_key").stat().st_mode)[-3:] == "600"
    assert "created instance directory" in capsys.readouterr().err
    # The key is generated once and kept.
    assert build_config({"INSTANCE_PATH": str(instance)})["SECRET_KEY"] == config["SECRET_KEY"]


def test_a_file_in_place_of_the_instance_directory_is_moved_aside(tmp_path, capsys):
    instance = tmp_path / "instance"
    instance.write_text("garbage")
    build_config({"INSTANCE_PATH": str(instance)})
    assert instance.is_dir()
    assert (tmp_path / "instance.corrupt").read_text() == "garbage"
    assert "was not a directory" in capsys.readouterr().err


def test_a_truncated_secret_key_is_replaced(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("short")
    assert len(build_config({"INSTANCE_PATH": str(instance)})["SECRET_KEY"]) == 64


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", "sqlite:///" + os.path.join(tmp_path, "x.db"))
    monkeypatch.setenv("STATUSPAGE_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("STATUSPAGE_UPTIME_WEIGHT_PARTIAL", "0.5")
    config = build_config({"INSTANCE_PATH": str(tmp_path / "i")})
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
    assert config["SECRET_KEY"] == "k" * 40
    assert config["UPTIME_WEIGHT_PARTIAL"] == 0.5


def test_a_bad_number_stops_start_up_with_one_clear_line(tmp_path, monkeypatch):
    import pytest

    monkeypatch.setenv("STATUSPAGE_SNAPSHOT_MAX_AGE", "ten")
    with pytest.raises(SystemExit, match="STATUSPAGE_SNAPSHOT_MAX_AGE must be a number, got 'ten'"):
        build_config({"INSTANCE_PATH": str(tmp_path / "i")})
