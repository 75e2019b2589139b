"""A private Redis primary, its replica and Sentinels watching them, real `redis-server`
processes in a temporary directory, for tests of failover (tests/common/test_redis_connect.py)
and for a product started on a `redis+sentinel://` URL.

Sentinels here decide fast (down after 1 s, one Sentinel's vote enough) so a test sees a
failover within seconds; production keeps its own settings (docs/deploy.md)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.ports import free_port

SERVICE = "opencc-test"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0


@dataclass
class RedisSentinelSet:
    directory: Path
    primary_port: int
    replica_ports: list[int]
    """The primary's replicas when started (one of them is the primary after `fail_over`)."""
    sentinel_ports: list[int]
    service: str = SERVICE
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    """Every server by its port."""

    @property
    def replica_port(self) -> int:
        """The first replica (the one, in a set of one replica)."""
        return self.replica_ports[0]

    def url(self, db: int = 0) -> str:
        hosts = ",".join(f"{HOST}:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.service}/{db}"

    def primary(self) -> int:
        """The port of the primary the first Sentinel answering names."""
        for port in self.sentinel_ports:
            try:
                with Redis(host=HOST, port=port, socket_timeout=1.0) as sentinel:
                    _, primary_port = sentinel.sentinel_get_master_addr_by_name(self.service)
                    return int(primary_port)
            except (RedisError, TypeError):
                continue
        raise RuntimeError(f"no Sentinel of {self.sentinel_ports} names a primary")

    def kill(self, port: int) -> None:
        """kill -9 the server on `port`."""
        process = self.processes.pop(port)
        process.kill()
        process.wait(timeout=10)

    def cut_replication(self) -> None:
        """From now on the primary's writes reach no replica, as when the links between them
        break: the replicas are frozen (SIGSTOP) so they cannot reconnect, and the primary drops
        its links to them, so nothing is left in a socket buffer for a replica to read later.
        `fail_over` ends it; keep it shorter than the Sentinels' down-after (1 s)."""
        for port in self.replica_ports:
            self.processes[port].send_signal(signal.SIGSTOP)
        with Redis(host=HOST, port=self.primary_port, socket_timeout=1.0) as primary:
            primary.client_kill_filter(_type="replica")

    def fail_over(self) -> int:
        """kill -9 the primary, thaw the replicas if frozen, and wait until a Sentinel names a
        replica the primary, it takes writes and the other replicas replicate it; its port."""
        self.kill(self.primary_port)
        for port in self.replica_ports:
            self.processes[port].send_signal(signal.SIGCONT)
        _wait_for("a replica promoted", self.promoted, self)
        promoted = self.primary()
        _wait_for("the other replicas following", lambda: _followed(promoted, self), self)
        return promoted

    def promoted(self) -> bool:
        """A Sentinel names one of the replicas the primary, and that replica says it is."""
        try:
            promoted = self.primary()
            if promoted not in self.replica_ports:
                return False
            with Redis(host=HOST, port=promoted, socket_timeout=1.0) as replica:
                return bool(replica.info("replication").get("role") == "master")
        except (RedisError, RuntimeError):
            return False

    def log(self) -> str:
        """The servers' logs, for a failed test's message."""
        return "\n".join(
            f"== {path.name}\n{path.read_text()[-2000:]}"
            for path in sorted(self.directory.glob("*.log"))
        )


@contextmanager
def redis_sentinel_set(
    directory: Path, sentinels: int = 1, replicas: int = 1
) -> Iterator[RedisSentinelSet]:
    """A primary with `replicas` replicas in sync and `sentinels` Sentinels that know them all;
    all killed on leaving."""
    servers = RedisSentinelSet(directory, free_port(), [free_port() for _ in range(replicas)], [])
    try:
        _start(servers, servers.primary_port, [])
        for port in servers.replica_ports:
            _start(servers, port, ["--replicaof", HOST, str(servers.primary_port)])
        for _ in range(sentinels):
            port = free_port()
            servers.sentinel_ports.append(port)
            _start_sentinel(servers, port)
        _wait_for("the replicas in sync", lambda: _replica_in_sync(servers), servers)
        _wait_for("every Sentinel knowing the replica", lambda: _replica_known(servers), servers)
        yield servers
    finally:
        for process in servers.processes.values():
            process.kill()
            process.wait(timeout=10)


def _redis_server() -> str:
    return shutil.which("redis-server") or "redis-server"


def _start(servers: RedisSentinelSet, port: int, extra: list[str]) -> None:
    argv = [_redis_server(), "--port", str(port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--dir", str(servers.directory),
            "--dbfilename", f"{port}.rdb", *extra]  # fmt: skip
    _spawn(servers, port, argv)
    _wait_for(f"redis-server on {port}", lambda: _answers(port), servers)


def _start_sentinel(servers: RedisSentinelSet, port: int) -> None:
    # Sentinel rewrites its configuration file (what it learnt), so each has one of its own.
    config = servers.directory / f"sentinel-{port}.conf"
    name = servers.service
    config.write_text(
        f"port {port}\nbind {HOST}\ndir {servers.directory}\n"
        f"sentinel monitor {name} {HOST} {servers.primary_port} 1\n"
        f"sentinel down-after-milliseconds {name} 1000\n"
        f"sentinel failover-timeout {name} 3000\n"
        f"sentinel parallel-syncs {name} 1\n"
    )
    _spawn(servers, port, [_redis_server(), str(config), "--sentinel"])
    _wait_for(f"Sentinel on {port}", lambda: _answers(port), servers)


def _spawn(servers: RedisSentinelSet, port: int, argv: list[str]) -> None:
    with (servers.directory / f"{port}.log").open("ab") as log:
        servers.processes[port] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def _answers(port: int) -> bool:
    try:
        with Redis(host=HOST, port=port, socket_timeout=1.0) as client:
            return bool(client.ping())
    except RedisError:
        return False


def _replica_in_sync(servers: RedisSentinelSet) -> bool:
    for port in servers.replica_ports:
        with Redis(host=HOST, port=port, socket_timeout=1.0) as replica:
            if replica.info("replication").get("master_link_status") != "up":
                return False
    return True


def _followed(promoted: int, servers: RedisSentinelSet) -> bool:
    """Every replica but the promoted one replicates it, in sync."""
    try:
        with Redis(host=HOST, port=promoted, socket_timeout=1.0) as primary:
            info = primary.info("replication")
    except RedisError:
        return False
    online = {int(info[f"slave{i}"]["port"]) for i in range(int(info["connected_slaves"]))
              if info[f"slave{i}"]["state"] == "online"}  # fmt: skip
    return online >= set(servers.replica_ports) - {promoted}


def _replica_known(servers: RedisSentinelSet) -> bool:
    for port in servers.sentinel_ports:
        with Redis(host=HOST, port=port, socket_timeout=1.0, decode_responses=True) as sentinel:
            known = {int(replica["port"]) for replica in sentinel.sentinel_slaves(servers.service)}
            if not known >= set(servers.replica_ports):
                return False
    return True


def _wait_for(what: str, condition: Callable[[], bool], servers: RedisSentinelSet) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}\n{servers.log()}")
        time.sleep(0.1)
