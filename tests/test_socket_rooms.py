"""channels/socket_rooms.py: which Redis carries the web chat's replies between servers."""

from __future__ import annotations

import socketio

from channels.socket_rooms import channel_name, redis_url, share_rooms


def test_in_memory_lock_store_keeps_rooms_in_memory():
    sio = socketio.AsyncServer(async_mode="sanic")
    assert redis_url({}) is None
    assert share_rooms(sio, {"LOCK_STORE": "in_memory", "REDIS_HOST": "x"}) is False
    assert not isinstance(sio.manager, socketio.AsyncRedisManager)


def test_the_lock_stores_redis_carries_the_rooms():
    env = {
        "LOCK_STORE": "redis",
        "REDIS_HOST": "10.0.0.5",
        "REDIS_PORT": "6380",
        "REDIS_PASSWORD": "p@ss:w/rd ",
        "REDIS_DB": "2",
        "REDIS_KEY_PREFIX": "clinicA",
    }
    # The password is quoted, so its @ : / and space can't break the URL.
    assert redis_url(env) == "redis://:p%40ss%3Aw%2Frd%20@10.0.0.5:6380/2"
    assert channel_name(env) == "clinicAmbc-webchat"
    sio = socketio.AsyncServer(async_mode="sanic")
    assert share_rooms(sio, env) is True
    assert isinstance(sio.manager, socketio.AsyncRedisManager)
    assert sio.manager.server is sio
    assert sio.manager.channel == "clinicAmbc-webchat"


def test_defaults_match_the_endpoints_generator():
    assert redis_url({"LOCK_STORE": "redis"}) == "redis://localhost:6379/1"
