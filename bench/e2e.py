#!/usr/bin/env python3
"""End-to-end benchmark on the local stack: signed Stripe `customer.created` POSTs in, signed
webhooks out to a receiver on loopback.

Measures, for N events sent by C concurrent senders: latency from the start of each POST to the
arrival of its `contact.created` delivery (p50, p99), sustained events/s, and the CPU time of the
runner (Loop) and of the moto emulator over the run, so that Loop's own share is visible.

Before the load, the runner's CPU is measured while it idles (its queue long polls and schedule):
`--idle` seconds, reported per second. `--receiver-keep-alive` makes the receiving endpoint
answer HTTP/1.1 and keep connections open, as most web servers do; without it, it answers
HTTP/1.0 and closes every connection, so each delivery costs Loop a new TCP connection.

Usage: bench/e2e.py [--events 2000] [--senders 16] [--idle 30] [--receiver-keep-alive]
[--binary target/release/loop-local]
(build the runner first: cargo build --release -p loop-local). Only the Python standard library.
"""
import argparse
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

from local import cpu_times, free_port, request, start_local, start_moto, start_receiver, wait_for_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_seconds(pid):
    return sum(cpu_times(pid))


def thread_cpu_seconds(pid):
    """CPU time of a process's live threads, to the nanosecond (`/proc/<pid>/stat` counts in
    10 ms ticks, too coarse for an idle process)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # the thread ended
    return total / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/loop-local"))
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle runner to measure first")
    parser.add_argument("--receiver-keep-alive", action="store_true")
    args = parser.parse_args()

    arrivals = {}
    lock = threading.Lock()

    def arrived(body):
        now = time.perf_counter()
        email = json.loads(body)["data"]["email"]
        with lock:
            arrivals.setdefault(email, now)

    receiver = start_receiver(arrived, keep_alive=args.receiver_keep_alive)

    moto_port, http_port = free_port(), free_port()
    moto = start_moto(moto_port)
    runner = None
    try:
        wait_for_port(moto_port)
        runner, demo = start_local(args.binary, f"http://127.0.0.1:{moto_port}", http_port)
        account, key, secret = demo["account"], demo["key"], demo["secret"]
        base = f"http://127.0.0.1:{http_port}"
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        request("POST", f"{base}/v1/webhook-endpoints",
                {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "events": ["contact.created"]}, auth)

        idle = None
        if args.idle > 0:
            time.sleep(2)  # let start-up settle
            before = thread_cpu_seconds(runner.pid), time.perf_counter()
            time.sleep(args.idle)
            idle = (thread_cpu_seconds(runner.pid) - before[0]) / (time.perf_counter() - before[1])

        sent = {}
        errors = []

        def sender(worker):
            for i in range(worker, args.events, args.senders):
                email = f"bench{i}@example.com"
                t = int(time.time())
                body = json.dumps({"id": f"evt_bench_{i}", "object": "event", "type": "customer.created", "created": t,
                                   "data": {"object": {"id": f"cus_{i}", "object": "customer", "email": email,
                                                       "name": "Bench Mark"}}}, indent=2).encode()
                signature = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
                started = time.perf_counter()
                try:
                    status, _ = request("POST", f"{base}/stripe/webhooks/{account}", body,
                                        {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"})
                    if status != 200:
                        errors.append(status)
                except Exception as error:  # a refused or failed POST is counted, not retried
                    errors.append(str(error))
                with lock:
                    sent[email] = started

        requests_before = request("GET", f"http://127.0.0.1:{moto_port}/_loop/requests")[1]
        loop_cpu, moto_cpu = cpu_seconds(runner.pid), cpu_seconds(moto.pid)
        loop_user = cpu_times(runner.pid)[0]
        begin = time.perf_counter()
        threads = [threading.Thread(target=sender, args=(w,)) for w in range(args.senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.time() + 300
        while len(arrivals) < args.events - len(errors) and time.time() < deadline:
            time.sleep(0.05)
        end = max(arrivals.values(), default=time.perf_counter())
        loop_cpu, moto_cpu = cpu_seconds(runner.pid) - loop_cpu, cpu_seconds(moto.pid) - moto_cpu
        loop_user = cpu_times(runner.pid)[0] - loop_user
        requests_after = request("GET", f"http://127.0.0.1:{moto_port}/_loop/requests")[1]

        latencies = sorted((arrivals[e] - sent[e]) * 1000 for e in arrivals if e in sent)
        pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")
        delivered = len(latencies)
        print(f"| events | senders | delivered | errors | p50 | p99 | events/s | Loop CPU | moto CPU | Loop CPU per event | of which user space |")
        print(f"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        print(f"| {args.events} | {args.senders} | {delivered} | {len(errors)} | {pct(50):.1f} ms | {pct(99):.1f} ms "
              f"| {delivered / (end - begin):.0f} | {loop_cpu:.2f} s | {moto_cpu:.2f} s "
              f"| {loop_cpu / max(delivered, 1) * 1000:.3f} ms | {loop_user / max(delivered, 1) * 1000:.3f} ms |")
        if idle is not None:
            print(f"\nidle runner, before the load: {idle * 1000:.2f} ms of CPU per second ({args.idle:.0f} s)")
        # What the emulator saw in the same window, per delivered event (the two counting
        # requests above excluded): AWS requests by operation, and TCP connections opened.
        print(f"\nemulator requests per delivered event ({end - begin:.1f} s window):")
        per_event = lambda n: n / max(delivered, 1)
        total = 0
        for name in sorted(set(requests_before) | set(requests_after)):
            n = requests_after.get(name, 0) - requests_before.get(name, 0) - (name == "GET /_loop/requests")
            if n and name != "connections":
                print(f"  {name}: {n} ({per_event(n):.2f})")
                total += n * ("(empty)" not in name)
        connections = requests_after.get("connections", 0) - requests_before.get("connections", 0) - 1
        print(f"  all requests: {total} ({per_event(total):.2f}); connections opened: {connections} ({per_event(connections):.2f})")
    finally:
        for process in (runner, moto):
            if process:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        receiver.shutdown()


if __name__ == "__main__":
    main()
