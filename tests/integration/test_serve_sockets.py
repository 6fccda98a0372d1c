"""``clientledger serve --workers N`` answers as promptly as one worker: Nagle is off on its connections."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner
from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess

from clientledger.cli import app


def _accepted_socket_has_nodelay(listener: socket.socket, config: Config) -> bool:
    """Accept one connection on ``listener`` the way a uvicorn worker does; is TCP_NODELAY set on it?"""

    async def accept_one() -> bool:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[bool] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
                transport.close()

        server = await loop.create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        try:
            return await asyncio.wait_for(accepted, timeout=10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    # In a thread of its own: another test in this process (a browser test's driver) may own a
    # running event loop on this thread.
    factory = config.get_loop_factory()
    result: list[bool] = []

    def run() -> None:
        with asyncio.Runner(loop_factory=factory) as runner:
            result.append(runner.run(accept_one()))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return bool(result and result[0])


def test_serve_with_two_workers_turns_nagle_off_on_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed_to_workers: list[tuple[list[socket.socket], Config]] = []

    def start_no_processes(self: Multiprocess) -> None:
        handed_to_workers.append((self.sockets, self.config))

    monkeypatch.setattr(Multiprocess, "run", start_no_processes)
    monkeypatch.setenv("CLIENTLEDGER_DATABASE_URL", "")  # serve sets it for its workers; restored after
    url = f"sqlite:///{tmp_path}/serve.db"

    result = CliRunner().invoke(app, ["serve", "--port", "0", "--workers", "2", "--database-url", url])

    assert result.exit_code == 0, result.output
    [(sockets, config)] = handed_to_workers
    [listener] = sockets
    try:
        assert _accepted_socket_has_nodelay(listener, config)
    finally:
        listener.close()
