#!/usr/bin/env python3
"""A UDP DNS proxy that answers every query after a fixed delay, for benchmarks.

Usage: dns-delay-proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS
Listens on 127.0.0.1:LISTEN_PORT, forwards each query to 127.0.0.1:UPSTREAM_PORT and sends
the answer back DELAY_MS later. Queries are handled concurrently, so the delay models
network latency, not a slow server. Prints "ready" when listening.
"""
import asyncio
import sys


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, reply):
        self.reply = reply

    def datagram_received(self, data, addr):
        self.reply(data)


class Proxy(asyncio.DatagramProtocol):
    def __init__(self, upstream_port, delay):
        self.upstream_port = upstream_port
        self.delay = delay

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, client):
        asyncio.ensure_future(self.forward(data, client))

    async def forward(self, data, client):
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(lambda d: answer.done() or answer.set_result(d)),
            remote_addr=("127.0.0.1", self.upstream_port),
        )
        try:
            transport.sendto(data)
            reply = await asyncio.wait_for(answer, 5)
            await asyncio.sleep(self.delay)
            self.transport.sendto(reply, client)
        except asyncio.TimeoutError:
            pass
        finally:
            transport.close()


async def main():
    listen, upstream, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(
        lambda: Proxy(upstream, delay_ms / 1000), local_addr=("127.0.0.1", listen)
    )
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
