"""stores/lock_store.py: two servers sharing Redis take turns on a conversation, never both at once.

Against a real redis-server (Debian's; started here on a free loopback port from a temporary
folder, with a password). Two store instances stand for two Rasa servers; many threads, each
with its own event loop as a server would have, take the lock of one conversation at the same
moment and do a read, wait, write of a counter in Redis while they hold it. Rasa 3.6's own
RedisLockStore loses updates here (see test_the_check_catches_rasas_race).
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from stores.lock_store import AtomicRedisLockStore
from stores.tracker_store import _outage_errors
from tests.servers import free_port
from tests.store_servers import Redis
from tests.test_endpoints import load_endpoints

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="needs redis-server (Debian: apt-get install redis-server; .ci/run installs it)",
)

LOCK_DB = 1  # the lock store's database, as scripts/endpoints.py writes by default


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    server = Redis().start()
    yield server
    server.remove()


def connect(server: Redis, store_class: type[RedisLockStore] = AtomicRedisLockStore, **kwargs):
    """A lock store on ``server``, as one Rasa server would have."""
    return store_class(
        host="127.0.0.1", port=server.port, password=server.password, db=LOCK_DB, **kwargs
    )


@pytest.fixture
def stores(redis_server) -> list[AtomicRedisLockStore]:
    """Two lock stores, as two Rasa servers sharing the Redis would have."""
    return [connect(redis_server), connect(redis_server)]


@pytest.fixture
def inspect(redis_server) -> redis.Redis:
    """A plain client for looking at the lock store's keys."""
    return redis.Redis(
        host="127.0.0.1", port=redis_server.port, password=redis_server.password, db=LOCK_DB
    )


def conversation() -> str:
    return f"conv-{uuid.uuid4().hex[:8]}"


@dataclass
class Contention:
    count: int  # what the shared counter says after every holder added one
    most_inside: int  # the most holders that were inside the lock at one time
    turned_away: int = 0  # holders that got LockError instead of the lock
    lock_left: bool = False  # the lock key still in Redis after the last holder


def contend(
    stores: list[RedisLockStore],
    inspect: redis.Redis,
    holders: int = 16,
    lock_lifetime: float = 60,
) -> Contention:
    """``holders`` threads take one conversation's lock at once and add 1 to a Redis counter.

    Each holder reads the counter, waits a little (a turn takes time) and writes it back plus
    one, so two holders inside at once lose an update, as two Rasa servers writing one
    conversation would.
    """
    conversation_id = conversation()
    counter = f"counter:{conversation_id}"
    start = threading.Barrier(holders)
    guard = threading.Lock()
    inside = [0, 0]  # now, most
    turned_away = []

    async def hold(store: RedisLockStore) -> None:
        async with store.lock(conversation_id, lock_lifetime, wait_time_in_seconds=0.01):
            with guard:
                inside[0] += 1
                inside[1] = max(inside)
            value = int(inspect.get(counter) or 0)
            await asyncio.sleep(0.02)
            inspect.set(counter, value + 1)
            with guard:
                inside[0] -= 1

    def server_thread(n: int) -> None:
        start.wait()  # every holder asks at the same moment
        try:
            asyncio.run(hold(stores[n % len(stores)]))
        except LockError:  # Rasa's own store does this under contention; counted, not raised
            turned_away.append(n)

    with ThreadPoolExecutor(max_workers=holders) as pool:
        list(pool.map(server_thread, range(holders)))  # re-raises a holder's error
    return Contention(
        count=int(inspect.get(counter) or 0),
        most_inside=inside[1],
        turned_away=len(turned_away),
        lock_left=bool(inspect.exists(stores[0].key_prefix + conversation_id)),
    )


def test_two_servers_never_serve_one_conversation_at_once(stores, inspect):
    for _ in range(5):
        result = contend(stores, inspect)
        assert result == Contention(count=16, most_inside=1, turned_away=0, lock_left=False)


class SlowRedisLockStore(RedisLockStore):
    """Rasa's store with its read-change-write window held open a little longer."""

    def get_lock(self, conversation_id: str):  # noqa: ANN201 - Rasa's signature
        lock = super().get_lock(conversation_id)
        time.sleep(0.05)
        return lock


def test_the_check_catches_rasas_race(redis_server, inspect):
    # Proof that the check above can fail: Rasa 3.6's own store, with the window between its
    # GET and SET widened so the race happens every time rather than most of the time (without
    # the widening it failed 10 runs of 10 here too: 3 to 7 of 16 counted, or a LockError).
    stock = [connect(redis_server, SlowRedisLockStore) for _ in range(2)]
    result = contend(stock, inspect, holders=8, lock_lifetime=5)
    assert result.most_inside > 1, result


async def test_tickets_are_served_in_the_order_they_were_issued(stores, inspect):
    conversation_id = conversation()
    served: list[int] = []

    async def visit(n: int) -> None:
        async with stores[n % 2].lock(conversation_id, wait_time_in_seconds=0.01):
            served.append(n)
            await asyncio.sleep(0.01)

    async with stores[0].lock(conversation_id) as holding:
        first = holding.tickets[0].number
        visitors = []
        for n in range(6):
            visitors.append(asyncio.create_task(visit(n)))
            await asyncio.sleep(0.05)  # the task takes its ticket before the next one starts
        # Rasa's own reader understands the stored lock: seven tickets, in issue order.
        numbers = [t.number for t in RedisLockStore.get_lock(stores[1], conversation_id).tickets]
        assert numbers[0] == first and numbers == sorted(numbers) and len(numbers) == 7
        assert served == [], "nobody gets in while the lock is held"
    await asyncio.gather(*visitors)
    assert served == list(range(6))
    assert not inspect.exists("lock:" + conversation_id)


async def test_a_crashed_servers_expired_ticket_is_dropped_and_the_next_gets_in(stores, inspect):
    conversation_id = conversation()
    crashed = stores[0].issue_ticket(conversation_id, lock_lifetime=0.5)  # never cleaned up
    began = time.monotonic()
    async with stores[1].lock(conversation_id, wait_time_in_seconds=0.05) as lock:
        waited = time.monotonic() - began
        assert [t.number for t in lock.tickets] != [crashed] and len(lock.tickets) == 1
    assert 0.4 <= waited < 10
    assert not inspect.exists("lock:" + conversation_id)


async def test_waiting_past_its_own_tickets_lifetime_raises_lock_error(stores, inspect):
    # Rasa's LockError when the wait is too long; Rasa's own loop kept waiting here until the
    # holder finished, with a ticket nobody would serve.
    conversation_id = conversation()
    async with stores[0].lock(conversation_id, lock_lifetime=60) as holding:
        began = time.monotonic()
        with pytest.raises(LockError, match="Could not acquire lock"):
            async with stores[1].lock(conversation_id, 0.3, wait_time_in_seconds=0.05):
                pytest.fail("got in while another server held the lock")
        assert time.monotonic() - began < 10
        still = stores[1].get_lock(conversation_id)
        assert [t.number for t in still.tickets] == [holding.tickets[0].number]
    assert not inspect.exists("lock:" + conversation_id)


async def test_a_lock_written_by_rasas_own_store_is_understood(redis_server, stores, inspect):
    # Servers being upgraded one at a time meet locks in Rasa's format, expired ones included.
    conversation_id = conversation()
    stock = connect(redis_server, RedisLockStore)
    stock.issue_ticket(conversation_id, lock_lifetime=-1)  # already expired
    async with stores[0].lock(conversation_id, wait_time_in_seconds=0.01) as lock:
        assert len(lock.tickets) == 1
    assert not inspect.exists("lock:" + conversation_id)


async def test_the_key_prefix_keeps_two_assistants_apart(redis_server, stores, inspect):
    conversation_id = conversation()
    prefixed = connect(redis_server, key_prefix="mbc")
    async with prefixed.lock(conversation_id):
        assert inspect.exists("mbc:lock:" + conversation_id)
        assert not inspect.exists("lock:" + conversation_id)
        async with stores[0].lock(conversation_id, wait_time_in_seconds=0.01):
            assert inspect.exists("lock:" + conversation_id)  # not blocked by the other one
        assert inspect.get("mbc:lock-ticket-counter")
    assert not inspect.exists("mbc:lock:" + conversation_id)
    assert not inspect.keys("*lock:" + conversation_id)


def test_rasa_builds_it_from_the_generated_endpoints_file(tmp_path: Path, redis_server, inspect):
    env = {**redis_server.environment(), "REDIS_KEY_PREFIX": "mbc", "REDIS_DB": "1"}
    path = load_endpoints().write_endpoints(tmp_path / "endpoints.yml", env)
    store = LockStore.create(read_endpoint_config(str(path), "lock_store"))
    assert type(store) is AtomicRedisLockStore and store.key_prefix == "mbc:lock:"
    conversation_id = conversation()

    async def hold() -> bool:
        async with store.lock(conversation_id):
            return bool(inspect.exists("mbc:lock:" + conversation_id))  # password and db used

    assert asyncio.run(hold())


def outage_error(store_class: type[RedisLockStore], when: str) -> BaseException:
    """The error a turn gets from the lock when Redis goes down ``when``."""
    server = Redis().start()
    store = connect(server, store_class)
    conversation_id = conversation()

    async def turn() -> None:
        if when == "while waiting":
            connect(server, store_class).issue_ticket(conversation_id)  # another server's turn
            asyncio.get_running_loop().call_later(0.3, server.stop)
        elif when == "before":
            server.stop()
        async with store.lock(conversation_id, wait_time_in_seconds=0.05):
            if when != "while holding":
                pytest.fail(f"got the lock with Redis down {when}")
            server.stop()

    try:
        asyncio.run(asyncio.wait_for(turn(), timeout=60))
    except Exception as error:  # noqa: BLE001 - the error is what is being compared
        return error
    finally:
        server.remove()
    pytest.fail(f"no error with Redis down {when}")


@pytest.mark.parametrize("when", ["before", "while waiting", "while holding"])
def test_redis_down_raises_what_rasas_store_raises(when):
    # stores/tracker_store.py turns these errors into the spoken outage sentence.
    ours, rasas = outage_error(AtomicRedisLockStore, when), outage_error(RedisLockStore, when)
    assert type(ours) is type(rasas), (ours, rasas)
    assert isinstance(ours, _outage_errors())
    expected = LockError if when == "before" else redis.exceptions.ConnectionError
    assert isinstance(ours, expected)


def test_nothing_listening_raises_lock_error():
    store = AtomicRedisLockStore(host="127.0.0.1", port=free_port(), socket_timeout=2)

    async def turn() -> None:
        async with store.lock(conversation()):
            pass

    with pytest.raises(LockError, match="Error while acquiring lock"):
        asyncio.run(turn())
