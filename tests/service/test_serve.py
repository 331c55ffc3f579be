"""The real server process: `skillmatch serve` answers /api/v1/health on the port it is given."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_answers_health_on_given_port(demo_env):
    port = free_port()
    env = dict(
        os.environ, SKILLMATCH_DATA_DIR=str(demo_env.data_dir), SKILLMATCH_LOG_LEVEL="WARNING"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, {}
        while time.monotonic() < deadline:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/api/v1/health")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["catalog_version"] == demo_env.catalog_version
        assert body["index_version"] == demo_env.index_version
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_worker_socket_gets_tcp_nodelay_on_accepted_connections() -> None:
    """Multi-worker serving: replies must not wait for a delayed ACK (Nagle, ~40 ms each)."""
    import asyncio
    import socket

    from service.cli import tcp_listen_socket

    async def accepted_nodelay(listener: socket.socket) -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        return value

    listener = tcp_listen_socket("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    assert asyncio.run(accepted_nodelay(listener)) != 0
