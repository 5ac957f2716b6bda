import os
import stat

import pytest

from lbt_app.settings import SettingsError, load_settings


def test_defaults_are_sqlite_in_the_data_folder(tmp_path):
    s = load_settings({"LBT_DATA_DIR": str(tmp_path)})
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path / 'lbt.db'}"
    assert s.redis_url is None
    assert s.load_demo is True


def test_postgres_url_and_redis_pass_through(tmp_path):
    s = load_settings(
        {
            "LBT_DATA_DIR": str(tmp_path),
            "LBT_DATABASE_URL": "postgresql+psycopg://u@db/lbt",
            "LBT_REDIS_URL": "redis://r:6379/0",
        }
    )
    assert s.database_url == "postgresql+psycopg://u@db/lbt"
    assert s.redis_url == "redis://r:6379/0"


def test_production_refuses_demo_data_and_missing_kek(tmp_path):
    with pytest.raises(SettingsError, match="LBT_KEK"):
        load_settings({"LBT_ENV": "production", "LBT_DATA_DIR": str(tmp_path), "LBT_DEMO": "0"})
    with pytest.raises(SettingsError, match="Demo data"):
        load_settings({"LBT_ENV": "production", "LBT_DEMO": "1", "LBT_KEK": "x"})
    with pytest.raises(SettingsError):
        load_settings({"LBT_ENV": "staging"})


def test_kek_file_is_created_owner_only_and_stable(tmp_path):
    s = load_settings({"LBT_DATA_DIR": str(tmp_path / "d")})
    first = s.key_encryption_key()
    assert len(first) == 32
    mode = stat.S_IMODE((tmp_path / "d" / "kek").stat().st_mode)
    assert mode == 0o600
    assert s.key_encryption_key() == first


def test_kek_file_readable_by_others_is_refused(tmp_path):
    s = load_settings({"LBT_DATA_DIR": str(tmp_path)})
    s.key_encryption_key()
    (tmp_path / "kek").chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        s.key_encryption_key()


def test_kek_from_environment_must_be_32_bytes(tmp_path):
    import base64

    good = base64.b64encode(bytes(range(32))).decode()
    assert load_settings({"LBT_KEK": good}).key_encryption_key() == bytes(range(32))
    with pytest.raises(SettingsError, match="32 bytes"):
        load_settings({"LBT_KEK": base64.b64encode(b"short").decode()}).key_encryption_key()


def test_kek_from_a_credential_file_as_systemd_hands_it_over(tmp_path):
    import base64

    key = base64.b64encode(bytes(range(32))).decode()
    path = tmp_path / "kek"
    path.write_text(key + "\n")
    path.chmod(0o400)
    production = {"LBT_ENV": "production", "LBT_DATA_DIR": str(tmp_path), "LBT_KEK_FILE": str(path)}
    assert load_settings(production).key_encryption_key() == bytes(range(32))
    path.chmod(0o640)
    with pytest.raises(SettingsError, match="chmod 600"):
        load_settings(production)
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings({**production, "LBT_KEK_FILE": str(tmp_path / "missing")})


def test_the_pages_open_their_websocket_at_the_public_address(tmp_path):
    assert load_settings({"LBT_DATA_DIR": str(tmp_path)}).api_url is None  # Reflex's own port
    public = load_settings({"LBT_PUBLIC_URL": "https://lbt.example.tj:8443/"})
    assert public.api_url == "https://lbt.example.tj:8443"


def test_only_the_public_address_may_call_the_app(tmp_path):
    local = load_settings({"LBT_DATA_DIR": str(tmp_path)})
    assert local.allowed_origins == ("http://localhost:3000", "http://127.0.0.1:3000")
    assert local.listen_host == "127.0.0.1"
    public = load_settings(
        {"LBT_PUBLIC_URL": "https://lbt.example.tj/", "LBT_ALLOWED_ORIGINS": "https://a.tj/x"}
    )
    assert public.allowed_origins == ("https://lbt.example.tj", "https://a.tj")
    with pytest.raises(SettingsError, match="http"):
        load_settings({"LBT_PUBLIC_URL": "lbt.example.tj"})


def test_the_local_addresses_follow_the_port(tmp_path):
    local = load_settings({"LBT_DATA_DIR": str(tmp_path), "LBT_PORT": "8080"})
    assert local.public_url == "http://localhost:8080"
    assert local.allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080")
    public = load_settings({"LBT_PORT": "8080", "LBT_PUBLIC_URL": "https://lbt.example.tj"})
    assert public.allowed_origins == ("https://lbt.example.tj",)
    with pytest.raises(SettingsError, match="LBT_PORT"):
        load_settings({"LBT_PORT": "80; rm"})


@pytest.mark.parametrize(
    ("make_args", "env", "address", "port"),
    [
        ([], {}, "http://localhost:3000", "3000"),
        (["PORT=8080"], {}, "http://localhost:8080", "8080"),
        (
            ["PORT=8080"],
            {"LBT_PUBLIC_URL": "https://lbt.example.tj"},
            "https://lbt.example.tj",
            "8080",
        ),
    ],
)
def test_make_run_serves_on_its_port_and_prints_that_address(make_args, env, address, port):
    import subprocess

    from lbt_app.settings import PROJECT_ROOT

    environ = {k: v for k, v in os.environ.items() if k not in {"PORT", "LBT_PUBLIC_URL"}}
    dry = subprocess.run(  # -n: the commands are printed, not run
        ["make", "-n", "run", *make_args],
        cwd=PROJECT_ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"open {address} " in dry
    served = " ".join(dry.split("reflex run", 1)[1].replace("\\\n", " ").split())
    assert f"--frontend-port {port} --backend-port {port}" in served
    assert f"LBT_PORT={port} " in dry


def test_files_the_app_writes_are_its_owners_alone(tmp_path, monkeypatch):
    data, states = tmp_path / "data", tmp_path / "states"
    data.mkdir(mode=0o755)
    states.mkdir(mode=0o755)
    (data / "lbt.db").write_bytes(b"")
    (data / "lbt.db").chmod(0o644)
    (states / "tab.pkl").write_bytes(b"")
    (states / "tab.pkl").chmod(0o644)
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(states))
    before = os.umask(0o022)
    try:
        load_settings({"LBT_DATA_DIR": str(data)}).restrict_files()
        (data / "new.db").write_bytes(b"")
    finally:
        os.umask(before)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [data, states, *data.iterdir()]}
    modes["tab.pkl"] = stat.S_IMODE((states / "tab.pkl").stat().st_mode)
    assert modes == {
        "data": 0o700,
        "states": 0o700,
        "lbt.db": 0o600,
        "new.db": 0o600,
        "tab.pkl": 0o600,
    }


@pytest.mark.parametrize(
    ("environ", "policy"),
    [
        ({}, "off"),  # development with the demo's published passwords
        ({"LBT_DEMO": "0"}, "required"),
        ({"LBT_SECOND_FACTOR": "required"}, "required"),
        ({"LBT_DEMO": "0", "LBT_SECOND_FACTOR": "off"}, "off"),
        ({"LBT_ENV": "production", "LBT_DEMO": "0", "LBT_KEK": "x"}, "required"),
    ],
)
def test_the_second_factor_is_required_unless_the_demo_data_is_on(tmp_path, environ, policy):
    assert load_settings({"LBT_DATA_DIR": str(tmp_path), **environ}).second_factor == policy


def test_an_unknown_second_factor_policy_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="LBT_SECOND_FACTOR"):
        load_settings({"LBT_DATA_DIR": str(tmp_path), "LBT_SECOND_FACTOR": "sometimes"})
