#!/usr/bin/env python3
"""Idle-connection attack on a running `mesh-validator serve` (issue 13, specs/service.md §2.1).

Opens N connections that stall — half trickle a request head one header line at a time, half
send a head with Content-Length 1000 and only 500 bytes of body — keeps them trickling for
SECONDS, reconnects any the server closes, and probes GET /healthz from a fresh connection every
second. Prints the probe latencies and how many stalled connections the server closed.

    python3 scripts/attack/idle_connections.py --port 8080 --connections 1100 --seconds 90
"""
import argparse
import socket
import statistics
import time


def stalled(port, i):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    if i % 2 == 0:
        s.sendall(b"POST /v1/receipts HTTP/1.1\r\nHost: x\r\n")
    else:
        s.sendall(b"POST /v1/receipts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n" + b"x" * 500)
    return s


def probe(port):
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = s.recv(4096)
            ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return ok, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=1100)
    ap.add_argument("--seconds", type=float, default=90)
    a = ap.parse_args()
    conns = []
    refused = 0
    for i in range(a.connections):
        try:
            conns.append(stalled(a.port, i))
        except OSError:
            refused += 1
    closed = 0
    latencies, failures = [], 0
    end = time.monotonic() + a.seconds
    tick = 0
    while time.monotonic() < end:
        tick += 1
        for i, s in enumerate(conns):
            try:
                if i % 2 == 0:
                    s.send(b"X-Trickle-%d: 1\r\n" % tick)
                else:
                    s.send(b"")
                if s.recv(1, socket.MSG_PEEK) == b"":
                    raise OSError("closed")
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
                try:
                    conns[i] = stalled(a.port, i)
                except OSError:
                    refused += 1
        ok, dt = probe(a.port)
        latencies.append(dt)
        failures += 0 if ok else 1
        time.sleep(max(0.0, 1.0 - dt))
    latencies.sort()
    print(f"stalled connections: {a.connections}; closed by the server and reopened: {closed}; "
          f"connect failures: {refused}")
    print(f"/healthz probes: {len(latencies)}, failed: {failures}, median {statistics.median(latencies)*1000:.1f} ms, "
          f"max {latencies[-1]*1000:.1f} ms")


if __name__ == "__main__":
    main()
