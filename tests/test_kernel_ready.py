"""The runner's kernel start: ready on the kernel's answer to kernel_info (no 0.2 s drain of IOPub), and a killed
kernel's exit looked for every 10 ms. The channels here are fakes that hand out messages in the order a kernel
sends them (IOPub busy, shell reply, IOPub idle); the runs in test_sandbox_local/test_sandbox_docker use real ones."""
from __future__ import annotations

import asyncio
import itertools
from queue import Empty

import pytest

from takehome_harness.harness.sandbox.runner import (KERNEL_EXIT_POLL_SECONDS, PromptlyReadyClient,
                                                      SafePathKernelManager, _answer)


class FakeChannel:
    """get_msg hands out the queued messages, then raises Empty (the channel stayed silent for `timeout`); one call
    more than `allowed` fails the test: the client went on reading after it had what it needed."""

    def __init__(self, allowed: int | None = None) -> None:
        self.queue: list[dict] = []
        self.calls, self.allowed = 0, allowed

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.calls += 1
        if self.allowed is not None and self.calls > self.allowed:
            raise AssertionError("read the channel after the kernel had answered")
        if not self.queue:
            raise Empty
        return self.queue.pop(0)


def message(parent: str, msg_type: str, **content: object) -> dict:
    return {"parent_header": {"msg_id": parent}, "msg_type": msg_type, "content": content}


class FakeKernel(PromptlyReadyClient):
    """Answers each kernel_info request as a kernel does, except the IOPub messages of the first `deaf` requests,
    which are lost (IOPub not connected yet: ZeroMQ drops what is published before the subscription arrives)."""

    def __init__(self, *, deaf: int = 0, iopub_reads: int | None = None) -> None:
        super().__init__()
        self.shell, self.iopub = FakeChannel(), FakeChannel(allowed=iopub_reads)
        self.ids = (f"request-{n}" for n in itertools.count())
        self.deaf, self.requests = deaf, []

    @property
    def shell_channel(self) -> FakeChannel:
        return self.shell

    @property
    def iopub_channel(self) -> FakeChannel:
        return self.iopub

    def kernel_info(self) -> str:
        request = next(self.ids)
        self.requests.append(request)
        if len(self.requests) > self.deaf:
            self.iopub.queue += [message(request, "status", execution_state="busy"),
                                 message(request, "status", execution_state="idle")]
        self.shell.queue.append(message(request, "kernel_info_reply", protocol_version="5.3"))
        return request

    async def _async_is_alive(self) -> bool:
        return True


def test_ready_once_the_kernel_said_idle_after_its_reply_without_draining_iopub():
    kernel = FakeKernel(iopub_reads=2)  # busy, idle; a third read is the drain jupyter_client does
    asyncio.run(kernel.wait_for_ready(timeout=10))
    assert kernel.requests == ["request-0"]


def test_a_request_whose_iopub_messages_were_lost_is_asked_again():
    kernel = FakeKernel(deaf=1)
    asyncio.run(kernel.wait_for_ready(timeout=10))
    assert kernel.requests == ["request-0", "request-1"]


def test_a_kernel_that_never_answers_times_out():
    class Silent(FakeKernel):
        def kernel_info(self) -> str:
            return "request-unanswered"

    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(Silent().wait_for_ready(timeout=0.3))  # asks, hears nothing, asks again until then


def test_a_dead_kernel_is_reported_as_dead():
    class Dead(FakeKernel):
        def kernel_info(self) -> str:
            return "request-unanswered"

        async def _async_is_alive(self) -> bool:
            return False

    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(Dead().wait_for_ready(timeout=10))


def test_answer_skips_messages_of_other_requests_and_statuses_other_than_idle():
    channel, forever = FakeChannel(), float("inf")
    channel.queue = [message("other", "status", execution_state="idle"), message("mine", "status", execution_state="busy"),
                     message("mine", "status", execution_state="idle")]
    found = asyncio.run(_answer(channel, "mine", wait=0.2, deadline=forever, idle=True))
    assert found is not None and found["content"]["execution_state"] == "idle" and channel.queue == []
    assert asyncio.run(_answer(channel, "mine", wait=0.2, deadline=forever)) is None


def test_messages_of_other_requests_do_not_keep_the_start_waiting_past_its_deadline():
    class Endless(FakeChannel):
        async def get_msg(self, timeout: float | None = None) -> dict:
            await asyncio.sleep(0)  # lets the outer wait_for cancel a client that never stops reading
            return message("someone-else", "stream", text="x")

    kernel = FakeKernel()
    kernel.iopub = Endless()
    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(asyncio.wait_for(kernel.wait_for_ready(timeout=0.3), timeout=10))


def test_a_killed_kernel_is_looked_for_every_10_ms(monkeypatch):
    import jupyter_client.manager

    slept, alive = [], iter([True, True, False])

    async def recorded_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def is_alive(self) -> bool:
        return next(alive)

    monkeypatch.setattr(jupyter_client.manager.asyncio, "sleep", recorded_sleep)
    monkeypatch.setattr(SafePathKernelManager, "_async_is_alive", is_alive)
    asyncio.run(SafePathKernelManager(kernel_name="python3")._async_wait())
    assert slept == [KERNEL_EXIT_POLL_SECONDS, KERNEL_EXIT_POLL_SECONDS] and KERNEL_EXIT_POLL_SECONDS < 0.1


def test_a_real_kernel_starts_answers_and_is_gone_after_an_immediate_shutdown():
    async def start_run_stop() -> tuple[bool, str]:
        manager = SafePathKernelManager(kernel_name="python3")
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("print(6 * 7)", timeout=60,
                                                     output_hook=lambda msg: printed.append(msg))
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
        return await manager.is_alive(), reply["content"]["status"]

    printed: list[dict] = []
    alive, status = asyncio.run(start_run_stop())
    assert status == "ok" and not alive
    assert [m["content"]["text"] for m in printed if m["msg_type"] == "stream"] == ["42\n"]
    assert isinstance(SafePathKernelManager(kernel_name="python3").client(), PromptlyReadyClient)
