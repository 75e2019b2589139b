"""The runtime's journal in Redis stays short: once long it becomes an engine snapshot, and a
restart from snapshot + rest of the journal carries on exactly (agents, waiting calls, sequence).
Real PBX and Redis, as the product runs them."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from cti import engine_journal
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import AgentState, StateCause
from pbx_core.service import PbxService
from queueing.events import EventType
from tests.e2e.conftest import running_runtime
from tests.e2e.test_queue_over_sip import caller, stream_events, wait_for
from tests.pbx_core.support import run_sipp


async def set_state(
    runtime: EngineRuntime, extension: str, state: AgentState, code: str | None = None
) -> None:
    await runtime.set_agent_state(
        "demo", extension, state, unavailable_code=code, cause=StateCause.AGENT, by=extension
    )


async def assert_sequences_contiguous(redis: Redis, prefix: str) -> None:
    sequences = [e.sequence for e in await stream_events(redis, prefix)]
    assert sequences == list(range(1, len(sequences) + 1))


async def test_a_compacted_journal_restarts_with_agents_waiting_calls_and_sequence(
    pbx: PbxService, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix, compact_after=3) as runtime:
        await set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
        await set_state(runtime, "1005", AgentState.SIGN_IN)
        # Nobody takes 7001's calls: this caller waits through the compaction and the restart.
        call = asyncio.create_task(
            run_sipp("trunk_call.xml", **caller(pbx, tmp_path, "7001", 4000))
        )
        waiting = await wait_for(redis, prefix, EventType.CALL_ADDED)
        await set_state(runtime, "1005", AgentState.UNAVAILABLE, "meeting")
        await runtime.flush()
        journal_key, snapshot_key = runtime.journal_key("demo"), runtime.engine_snapshot_key("demo")
        assert await redis.exists(snapshot_key)
        assert await redis.llen(journal_key) < 3  # entries since the last snapshot only

    async with running_runtime(pbx, redis, prefix, compact_after=3) as again:
        # The waiting call was in the snapshot: its dialog died with the "old process", so the
        # restart ends it through the engine as lost by the platform, not abandoned by its caller.
        ended = await wait_for(redis, prefix, EventType.CALL_LOST, call_id=waiting.call_id)
        assert ended.sequence > waiting.sequence
        assert ended.reason.startswith("lost: PBX restarted")
        kinds = [e.type for e in await stream_events(redis, prefix) if e.call_id == waiting.call_id]
        assert EventType.CALL_ABANDONED not in kinds
        agents = {a.extension: a for a in await again.agents("demo")}
        assert (agents["1004"].state, agents["1004"].unavailable_code) == (
            AgentState.UNAVAILABLE,
            "lunch",
        )
        assert agents["1005"].unavailable_code == "meeting"
        await set_state(again, "1004", AgentState.AVAILABLE)
        await assert_sequences_contiguous(redis, prefix)
    await call


async def test_a_lost_snapshot_and_journal_still_continue_the_event_sequence(
    pbx: PbxService, redis: Redis, redis_prefix: str
) -> None:
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix, compact_after=2) as runtime:
        await set_state(runtime, "1004", AgentState.AVAILABLE)
        await set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
        await redis.delete(runtime.journal_key("demo"), runtime.engine_snapshot_key("demo"))
    async with running_runtime(pbx, redis, prefix, compact_after=2) as again:
        # State is lost (back to the configuration), but new events are not refused by the stream.
        await set_state(again, "1004", AgentState.AVAILABLE)
        events = await stream_events(redis, prefix)
        assert events[-1].type is EventType.AGENT_STATE_CHANGED and events[-1].agent == "1004"
        await assert_sequences_contiguous(redis, prefix)


async def test_an_unreadable_snapshot_is_logged_and_the_runtime_starts(
    pbx: PbxService, redis: Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix, compact_after=2) as runtime:
        await set_state(runtime, "1004", AgentState.AVAILABLE)
        await set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
        await redis.set(runtime.engine_snapshot_key("demo"), '{"version": 99')
    async with running_runtime(pbx, redis, prefix, compact_after=2) as again:
        assert "engine snapshot unreadable" in caplog.text
        await set_state(again, "1004", AgentState.AVAILABLE)
        await assert_sequences_contiguous(redis, prefix)


class FailingRedis:
    """The runtime's Redis client, whose next `failures` pipelines fail on execute."""

    def __init__(self, redis: Redis, failures: int) -> None:
        self._redis = redis
        self.failures = failures

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        pipe = self._redis.pipeline(*args, **kwargs)
        if self.failures:
            self.failures -= 1

            async def failing() -> Any:
                await pipe.reset()
                raise ConnectionError("redis went away")

            pipe.execute = failing  # type: ignore[method-assign,assignment]
        return pipe


async def test_a_failed_publish_is_retried_in_order_and_journaled_once(
    pbx: PbxService, redis: Redis, redis_prefix: str
) -> None:
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix, compact_after=1000) as runtime:
        flaky = FailingRedis(redis, failures=1)  # a hiccup
        runtime._journal._redis = flaky  # type: ignore[assignment]
        first = asyncio.create_task(set_state(runtime, "1004", AgentState.AVAILABLE))
        await asyncio.sleep(0.1)  # the first batch has failed and waits to retry
        await set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
        await first
        assert flaky.failures == 0
        journal = [str(e) for e in await redis.lrange(runtime.journal_key("demo"), 0, -1)]
        assert [entry.count('"SetAgentState"') for entry in journal] == [1, 1]
        assert '"AVAILABLE"' in journal[0] and '"lunch"' in journal[1]
        await assert_sequences_contiguous(redis, prefix)
    async with running_runtime(pbx, redis, prefix, compact_after=1000) as again:
        agents = {a.extension: a for a in await again.agents("demo")}
        assert agents["1004"].unavailable_code == "lunch"


async def test_a_failing_snapshot_leaves_the_journal_long_and_publishing_on(
    pbx: PbxService, redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> dict[str, object]:
        raise RuntimeError("codec bug")

    monkeypatch.setattr("cti.engine_journal.encode_state", broken)
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix, compact_after=1) as runtime:
        await set_state(runtime, "1004", AgentState.AVAILABLE)
        await set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
        assert not await redis.exists(runtime.engine_snapshot_key("demo"))
        assert await redis.llen(runtime.journal_key("demo")) == 2
        await assert_sequences_contiguous(redis, prefix)


async def test_stopping_while_redis_is_down_does_not_hang(
    pbx: PbxService,
    redis: Redis,
    redis_prefix: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cti.engine_journal.STOP_FLUSH_SECONDS", 0.5)
    async with running_runtime(pbx, redis, redis_prefix.rstrip(":")) as runtime:
        runtime._journal._redis = FailingRedis(redis, failures=1_000_000)  # type: ignore[assignment]
        change = asyncio.create_task(set_state(runtime, "1004", AgentState.AVAILABLE))
        await asyncio.sleep(0.2)
    assert "stopping with 1 engine steps unpublished" in caplog.text
    change.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await change


async def test_events_journaled_but_never_published_go_out_after_a_restart(
    pbx: PbxService, redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies between its two writes (issue 20's chaos run found the hole): the input
    is in the journal, its events never reached the stream. The restart's replay makes the same
    events and publishes them: the stream has no gap and says what happened."""
    prefix = redis_prefix.rstrip(":")

    async def dies_before_publishing(_log: EventLog, _events: object) -> int:
        await asyncio.Event().wait()
        raise AssertionError("never returns")

    with monkeypatch.context() as dying:
        dying.setattr(engine_journal, "STOP_FLUSH_SECONDS", 0.5)
        async with running_runtime(pbx, redis, prefix) as runtime:
            await set_state(runtime, "1004", AgentState.AVAILABLE)
            await runtime.flush()
            before = await stream_events(redis, prefix)
            journaled = await redis.llen(runtime.journal_key("demo"))
            dying.setattr(EventLog, "append_many", dies_before_publishing)
            # The API's call waits for its event, which never comes: only the journal has it.
            asking = asyncio.create_task(
                set_state(runtime, "1004", AgentState.UNAVAILABLE, "lunch")
            )
            async with asyncio.timeout(10):
                while await redis.llen(runtime.journal_key("demo")) == journaled:
                    await asyncio.sleep(0.02)
            asking.cancel()
        assert await stream_events(redis, prefix) == before, "the stream never got them"

    async with running_runtime(pbx, redis, prefix) as again:
        await assert_sequences_contiguous(redis, prefix)
        last = (await stream_events(redis, prefix))[-1]
        assert (last.type, last.agent) == (EventType.AGENT_STATE_CHANGED, "1004")
        assert last.sequence == before[-1].sequence + 1
        agents = {a.extension: a for a in await again.agents("demo")}
        assert agents["1004"].unavailable_code == "lunch"
        await set_state(again, "1004", AgentState.AVAILABLE)  # and the sequence goes on
        await assert_sequences_contiguous(redis, prefix)
