"""A small HTTP/1.1 load generator for `make bench`: keep-alive connections on asyncio, and slow clients.

requests costs the client about a millisecond of CPU per call, as much as the server's own work,
so throughput is driven with raw keep-alive connections instead: each request is written
pre-built and its answer read by Content-Length. Loopback only; every loop is bounded.
"""
import asyncio
import time
from urllib.parse import urlsplit


def build(url, method="GET", headers=None, body=b""):
    """The request's bytes (keep-alive), for `url` on 127.0.0.1."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_answer(reader):
    """(status, body) of one answer; raises ConnectionError when the server closed or answered no length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = None, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding" and "chunked" in value.lower():
            raise ConnectionError("chunked answers are not expected here")
    if length is None:
        raise ConnectionError("an answer without Content-Length")
    body = await reader.readexactly(length)
    return status, body, close


async def _client(host, port, request, check, deadline, budget, latencies, errors):
    reader = writer = None
    try:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body, close = await asyncio.wait_for(_read_answer(reader), 30)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError, ValueError):
                errors.append("no answer")
                writer.close()
                writer = None
                continue
            latencies.append(time.perf_counter() - started)
            if status != 200 or (check and not check(body)):
                errors.append(f"{status} {body[:120]!r}")
            if close:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


def drive(url, request, *, clients=16, seconds=3.0, max_requests=100_000, check=None):
    """`clients` keep-alive connections send `request` (bytes from build()) back to back for `seconds`
    (and at most max_requests in all). Returns {rps, n, errors, p50_ms, p99_ms, first_error}."""
    parts = urlsplit(url)
    latencies, errors, budget = [], [], [max_requests]

    async def main():
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(parts.hostname, parts.port, request, check, deadline, budget, latencies,
                                       errors) for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p):
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000, 2) \
            if ordered else None
    return {"rps": round((len(latencies) - len(errors)) / elapsed, 1), "n": len(latencies),
            "errors": len(errors), "p50_ms": pct(50), "p99_ms": pct(99), "first_error": errors[0] if errors else None}


class SlowClients:
    """`count` connections that send a request's headers a few bytes at a time and never finish them
    (a slowloris): while open they hold whatever the server gave them. Use as a context manager."""

    def __init__(self, url, count=200, every_s=0.5):
        parts = urlsplit(url)
        self.host, self.port, self.count, self.every_s = parts.hostname, parts.port, count, every_s
        self.open = 0

    async def _one(self, stop):
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            return
        self.open += 1
        try:
            writer.write(f"GET / HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode())
            for i in range(100_000):   # bounded: stop is set long before
                if stop.is_set():
                    break
                writer.write(f"X-Slow-{i % 10}: a\r\n".encode())
                await writer.drain()
                try:
                    await asyncio.wait_for(stop.wait(), self.every_s)
                except asyncio.TimeoutError:
                    pass
        except OSError:
            pass
        finally:
            self.open -= 1
            writer.close()

    def __enter__(self):
        import threading
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

        def run():
            asyncio.set_event_loop(self._loop)
            self._stop = asyncio.Event()
            tasks = [self._loop.create_task(self._one(self._stop)) for _ in range(self.count)]
            self._loop.call_later(0.05, self._ready.set)
            self._loop.run_until_complete(asyncio.gather(*tasks))

        self._thread = threading.Thread(target=run, daemon=True, name="slow-clients")
        self._thread.start()
        self._ready.wait(10)
        for _ in range(200):   # until every connection is open (bounded)
            if self.open >= self.count:
                break
            time.sleep(0.02)
        return self

    def __exit__(self, *_):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()
