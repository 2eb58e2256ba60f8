"""scripts/endpoints.py: the tracker store and lock store chosen by environment variables."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.servers import ROOT


def load_endpoints() -> ModuleType:
    """scripts/endpoints.py, imported by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("mbc_endpoints", ROOT / "scripts/endpoints.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


endpoints = load_endpoints()
DURABLE = "stores.tracker_store.DurableSQLTrackerStore"
ATOMIC_REDIS = "stores.lock_store.AtomicRedisLockStore"


def test_default_is_what_the_committed_endpoints_file_says():
    generated = endpoints.endpoints_config({})
    committed = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert generated == committed


def test_sqlite_path_and_action_port():
    config = endpoints.endpoints_config({"SQLITE_PATH": "/data/t.db", "ACTION_PORT": "6055"})
    assert config["tracker_store"] == {"type": DURABLE, "dialect": "sqlite", "db": "/data/t.db"}
    assert config["action_endpoint"] == {"url": "http://127.0.0.1:6055/webhook"}
    url = "http://actions.mbc.svc:5055/webhook"
    assert endpoints.action_endpoint_config({"ACTION_ENDPOINT_URL": url}) == {"url": url}


def test_postgresql_from_parts():
    env = {
        "TRACKER_STORE": "postgresql",
        "DB_HOST": "db.internal",
        "DB_PORT": "6543",
        "DB_NAME": "guide",
        "DB_USER": "guide_user",
        "DB_PASSWORD": " secret with spaces ",
        "DB_LOGIN_DB": "postgres",
    }
    assert endpoints.tracker_store_config(env) == {
        "type": DURABLE,
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6543,
        "db": "guide",
        "username": "guide_user",
        "password": " secret with spaces ",
        "login_db": "postgres",
    }


def test_postgresql_defaults_and_no_empty_password():
    config = endpoints.tracker_store_config({"TRACKER_STORE": "Postgres", "DB_PASSWORD": ""})
    assert config == {
        "type": DURABLE,
        "dialect": "postgresql",
        "url": "localhost",
        "port": 5432,
        "db": "rasa",
        "username": "rasa",
    }


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h:5432/d", "postgresql://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql://u:p@h/d"),  # SQLAlchemy 1.4 dropped this alias
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
    ],
)
def test_database_url_alone_means_postgresql(url, expected):
    config = endpoints.tracker_store_config({"DATABASE_URL": url})
    assert config == {"type": DURABLE, "dialect": "postgresql", "url": expected}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TRACKER_STORE": "mysql"}, "TRACKER_STORE must be one of sqlite, postgresql"),
        ({"DATABASE_URL": "mysql://u@h/d"}, "DATABASE_URL must start with postgresql://"),
        ({"DATABASE_URL": "postgresql:///d"}, "DATABASE_URL has no host"),
        ({"TRACKER_STORE": "postgresql", "DB_PORT": "five"}, "DB_PORT must be a port number"),
        ({"TRACKER_STORE": "postgresql", "DB_PORT": "70000"}, "DB_PORT must be a port number"),
        ({"LOCK_STORE": "memcached"}, "LOCK_STORE must be one of in_memory, redis"),
        ({"LOCK_STORE": "redis", "REDIS_DB": "one"}, "REDIS_DB must be a database number"),
        ({"LOCK_STORE": "redis", "REDIS_KEY_PREFIX": "a-b"}, "letters and digits only"),
    ],
)
def test_bad_settings_say_which_and_why(env, message):
    with pytest.raises(endpoints.ConfigError, match=message):
        endpoints.endpoints_config(env)


def test_redis_lock_store():
    env = {
        "LOCK_STORE": "redis",
        "REDIS_HOST": "cache",
        "REDIS_PORT": "6380",
        "REDIS_PASSWORD": "pw",
        "REDIS_DB": "2",
        "REDIS_KEY_PREFIX": "mbc",
    }
    assert endpoints.lock_store_config(env) == {
        "type": ATOMIC_REDIS,
        "url": "cache",
        "port": 6380,
        "db": 2,
        "password": "pw",
        "key_prefix": "mbc",
    }
    assert endpoints.lock_store_config({"LOCK_STORE": "redis"})["db"] == 1  # Rasa's default


def test_a_shared_database_with_a_local_lock_store_is_warned_about():
    config = endpoints.endpoints_config({"TRACKER_STORE": "postgresql"})
    assert "LOCK_STORE=redis" in endpoints.warnings_for(config)[0]
    both = endpoints.endpoints_config({"TRACKER_STORE": "postgresql", "LOCK_STORE": "redis"})
    assert endpoints.warnings_for(both) == []
    assert endpoints.warnings_for(endpoints.endpoints_config({})) == []


def test_written_file_is_private_and_keeps_dollar_signs(tmp_path: Path):
    path = tmp_path / "sub" / "endpoints.yml"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)
    env = {"TRACKER_STORE": "postgresql", "DB_PASSWORD": "pa${HOME}ss", "LOCK_STORE": "redis"}
    endpoints.write_endpoints(path, env)
    assert path.stat().st_mode & 0o777 == 0o600
    # Rasa expands ${VAR} in unquoted YAML values; the password must reach it unchanged.
    from rasa.shared.utils.io import read_config_file

    config = read_config_file(str(path))
    assert config["tracker_store"]["password"] == "pa${HOME}ss"
    assert config["lock_store"]["type"] == ATOMIC_REDIS


def test_rasa_reads_the_generated_sections(tmp_path: Path):
    # The keys must be the ones Rasa's own loaders pass to SQLTrackerStore and RedisLockStore
    # (AtomicRedisLockStore takes Rasa's endpoint config and passes them on the same way).
    from rasa.utils.endpoints import read_endpoint_config

    path = endpoints.write_endpoints(
        tmp_path / "e.yml",
        {"TRACKER_STORE": "postgresql", "DB_HOST": "h", "LOCK_STORE": "redis", "REDIS_HOST": "r"},
    )
    tracker = read_endpoint_config(str(path), "tracker_store")
    lock = read_endpoint_config(str(path), "lock_store")
    assert (
        tracker.type == DURABLE and tracker.url == "h" and tracker.kwargs["dialect"] == "postgresql"
    )
    assert "host" not in tracker.kwargs, "Rasa passes url as host; a second host would clash"
    assert lock.type == ATOMIC_REDIS and lock.url == "r" and lock.kwargs["port"] == 6379


def test_command_line_writes_the_file_or_says_what_is_wrong(tmp_path: Path):
    script = str(ROOT / "scripts" / "endpoints.py")
    env = {k: v for k, v in os.environ.items() if k not in {"TRACKER_STORE", "LOCK_STORE"}}
    out = tmp_path / "endpoints.yml"
    done = subprocess.run(
        [sys.executable, script, "--out", str(out)],
        env={**env, "TRACKER_STORE": "postgresql"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.strip() == str(out)
    assert "LOCK_STORE=redis" in done.stderr
    assert yaml.safe_load(out.read_text())["tracker_store"]["dialect"] == "postgresql"
    failed = subprocess.run(
        [sys.executable, script, "--out", str(out)],
        env={**env, "LOCK_STORE": "zookeeper"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        "Store settings: LOCK_STORE must be one of in_memory, redis, not 'zookeeper'"
    )


def test_the_sql_store_type_names_a_class_rasa_can_load():
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.utils.common import class_from_module_path

    store_class = class_from_module_path(endpoints.SQL_STORE)
    assert issubclass(store_class, SQLTrackerStore)


def test_the_redis_lock_store_type_names_a_class_rasa_can_load():
    from rasa.core.lock_store import RedisLockStore
    from rasa.shared.utils.common import class_from_module_path

    store_class = class_from_module_path(endpoints.REDIS_LOCK_STORE)
    assert endpoints.REDIS_LOCK_STORE == ATOMIC_REDIS
    assert issubclass(store_class, RedisLockStore)
