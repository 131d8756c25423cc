#!/usr/bin/env python3
"""Lambda package benchmark: size of each function's `bootstrap`, its cold start-to-ready time and
its peak memory while it processes a 1 MiB event, each function run as Lambda runs it.

The script is the local Lambda runtime emulator: it serves the Lambda Runtime API
(`/2018-06-01/runtime/invocation/next`, `.../response`, `.../error`, `/init/error`) on a free port,
a new one for every process, and starts each `bootstrap` with the environment Lambda gives it (`AWS_LAMBDA_RUNTIME_API`, the
function name, 128 MB, and the variables `template.yaml` sets, queue URLs included). For every run:

- start-to-ready: from just before the process is spawned to its first `GET .../invocation/next`
  (the runtime has initialised: configuration read, AWS clients built, ready for an event);
- peak RSS: the process's `VmHWM` (/proc/PID/status) once it has posted its answer to one event
  of exactly 1 MiB (the whole JSON document the runtime hands the function), with `VmRSS` at ready
  for comparison.

Each run is a new process (a cold start), the functions taking turns; the first run of each
function is a warm-up (the binary into the page cache) and is not counted. The events are processed for real against moto (the local
AWS emulator): `loop-local` provisions the table and queues, creates the demo account and the
webhook endpoints (a receiver on loopback), and is stopped before the first measurement.

Usage: bench/package.py [--runs 21] [--lambda-dir target/lambda] [--local target/debug/loop-local]
(`make bench-package` builds what it needs and runs it). Python 3 standard library only; moto comes
from the project's `.venv/`. Results go to stdout (Markdown) and bench/out/package.json.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import platform
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from local import free_port, request, start_local, start_moto, start_receiver, wait_for_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = ["stripe-ingest", "checkout", "email", "dispatch", "late-payments", "dashboard"]
EVENT_BYTES = 1024 * 1024
ENDPOINTS = 5  # x 2 outbound events per Stripe event = a full SQS batch of 10 for dispatch
TARGETS = {"size_mb": 10, "ready_ms": 20, "rss_mb": 40}
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def elf_machine(path):
    with open(path, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF":
        return "not ELF"
    return ELF_MACHINES.get(struct.unpack("<H", header[18:20])[0], "unknown")


def proc_status(pid):
    """VmRSS and VmHWM of a live process, in KiB."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
    except FileNotFoundError:
        pass
    return values


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-p * len(ordered) // 100) - 1))]


# ------------------------------------------------------------------ the Runtime API

class RuntimeApi:
    """The Runtime API for one function process, on its own port (so that nothing a stopped process
    sent can reach the next one): hands it one event, records when it polled and what it answered."""

    def __init__(self, event):
        self.lock = threading.Lock()
        self.event, self.pid = event, None
        self.ready_at, self.status_at_ready, self.answer = None, None, None
        self.spawned, self.answered, self.stopped = threading.Event(), threading.Event(), threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                now = time.perf_counter()
                if not self.path.endswith("/runtime/invocation/next"):
                    return self.reply(404)
                api.spawned.wait(5)  # the pid is known once Popen has returned
                with api.lock:
                    first, event, pid = api.ready_at is None, api.event, api.pid
                    if first:
                        api.ready_at = now
                        api.status_at_ready = proc_status(pid)
                    api.event = None
                if event is None:
                    # One event per process: later polls wait until the process is stopped.
                    api.stopped.wait()
                    self.close_connection = True
                    return
                deadline = int(time.time() * 1000) + 30_000
                self.reply(200, event, [
                    ("lambda-runtime-aws-request-id", f"bench-{pid}"),
                    ("lambda-runtime-deadline-ms", str(deadline)),
                    ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:loop"),
                    ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
                    ("content-type", "application/json"),
                ])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                kind = "response" if self.path.endswith("/response") else "error"
                with api.lock:
                    api.answer = (kind, body, proc_status(api.pid))
                self.reply(202)
                api.answered.set()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # the connection of a process that was stopped while it polled

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


def cold_start(binary, env, event, runner):
    """Spawns the function, hands it `event`, returns (ready ms, RSS at ready, peak RSS, answer)."""
    api = RuntimeApi(event)
    env = dict(env, AWS_LAMBDA_RUNTIME_API=api.address)
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(runner + [binary], env=env, stdout=log, stderr=log)
        with api.lock:
            api.pid = process.pid
        api.spawned.set()
        try:
            give_up = time.time() + 60
            while not api.answered.wait(0.05):
                if process.poll() is not None:
                    raise RuntimeError(f"the process exited ({process.returncode}) without answering")
                if time.time() > give_up:
                    raise RuntimeError(f"no answer within 60 s (polled: {api.ready_at is not None}, "
                                       f"event taken: {api.event is None})")
            kind, body, status = api.answer
            if api.ready_at is None or not status:
                raise RuntimeError("the process answered without polling, or is gone")
            ready_ms = (api.ready_at - started) * 1000
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            process.kill()
            process.wait()
            api.close()
    if kind != "response":
        raise RuntimeError(f"{os.path.basename(os.path.dirname(binary))} reported an error: {body[:500]!r}")
    return ready_ms, api.status_at_ready.get("VmRSS", 0), status["VmHWM"], json.loads(body)


# ------------------------------------------------------------------ the 1 MiB events

def padded(make, size=EVENT_BYTES):
    """`make(n)` builds the event with n bytes of padding: pick n so the event is `size` bytes."""
    n = size - len(make(0))
    for _ in range(10):  # a few bytes move with the length of numbers such as content-length
        event = make(n)
        if len(event) == size:
            return event
        n -= len(event) - size
    raise AssertionError(f"cannot pad the event to {size} bytes")


def http_event(method, path, route_key, headers, body):
    return json.dumps({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": "",
        "headers": dict({"host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
                         "content-type": "application/json", "content-length": str(len(body)),
                         "x-forwarded-proto": "https", "x-forwarded-port": "443"}, **headers),
        "requestContext": {
            "accountId": "123456789012", "apiId": "abcdef1234", "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abcdef1234", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                                   "sourceIp": "203.0.113.10", "userAgent": "bench"},
            "requestId": "bench", "routeKey": route_key, "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000", "timeEpoch": 1700000000000},
        "isBase64Encoded": False, "body": body.decode(),
    }, separators=(",", ":")).encode()


def stripe_event(setup, run):
    """A signed `customer.created` for a new contact, padded with a field ingest does not read."""
    account, secret = setup["account"], setup["secret"]
    path = f"/stripe/webhooks/{account}"

    def make(n):
        t = int(time.time())
        body = json.dumps({
            "id": f"evt_bench_package_{run}", "object": "event", "api_version": "2026-07-29.dahlia", "created": t,
            "type": "customer.created", "livemode": False, "pending_webhooks": 1,
            "data": {"object": {"id": f"cus_bench{run}", "object": "customer", "email": f"bench{run}@example.com",
                                "name": "Bench Mark", "metadata": {}, "x_padding": "x" * n}},
        }, separators=(",", ":")).encode()
        signature = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return http_event("POST", path, "POST /stripe/webhooks/{accountId}",
                          {"stripe-signature": f"t={t},v1={signature}"}, body)

    return padded(make)


def checkout_event(setup, run):
    """`PATCH /v1/webhook-endpoints/{id}` (a new description) with a valid body whitespace-padded
    to fill the event."""
    path = f"/v1/webhook-endpoints/{setup['endpoints'][0]}"

    def make(n):
        body = json.dumps({"description": f"bench {run}"}).encode()
        body = body[:-1] + b" " * n + b"}"
        return http_event("PATCH", path, "ANY /v1/{proxy+}", {"authorization": f"Bearer {setup['key']}"}, body)

    return padded(make)


def email_event(setup, run):
    """`PATCH /v1/account` with a valid body whitespace-padded to fill the event."""
    def make(n):
        body = json.dumps({"supportEmail": f"help{run}@example.com"}).encode()
        body = body[:-1] + b" " * n + b"}"
        return http_event("PATCH", "/v1/account", "PATCH /v1/account", {"authorization": f"Bearer {setup['key']}"},
                          body)

    return padded(make)


def dashboard_event(setup, run):
    """`POST /dashboard/login` with the API key (a sign-in: a session stored, a cookie set), the
    form padded with a field the dashboard does not read."""
    def make(n):
        body = f"apiKey={setup['key']}&padding=".encode() + b"p" * n
        return http_event("POST", "/dashboard/login", "ANY /dashboard/{proxy+}",
                          {"content-type": "application/x-www-form-urlencoded"}, body)

    return padded(make)


def dispatch_event(setup, run):
    """A batch of 10 real delivery pointers; each message carries a String attribute as padding
    (SQS counts attributes towards its 256 KiB per message)."""
    pointers = setup["pointers"]

    def make(n):
        records = []
        for i, (event_id, endpoint_id) in enumerate(pointers):
            pad = n // len(pointers) + (1 if i < n % len(pointers) else 0)
            body = json.dumps({"v": 1, "accountId": setup["account"], "eventId": event_id, "endpointId": endpoint_id,
                               # A new attempt per run, so every run makes and records real deliveries.
                               "attempt": 2 + run}, separators=(",", ":"))
            records.append({
                "messageId": f"00000000-0000-4000-8000-{run:06d}{i:06d}", "receiptHandle": "AQEB/bench==",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                               "SenderId": "AROAEXAMPLE:loop-StripeIngestFunction",
                               "ApproximateFirstReceiveTimestamp": "1700000000050"},
                "messageAttributes": {"padding": {"stringValue": "p" * pad, "stringListValues": [],
                                                  "binaryListValues": [], "dataType": "String"}},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(), "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:loop-DeliveryQueue", "awsRegion": "us-east-1"})
        return json.dumps({"Records": records}, separators=(",", ":")).encode()

    return padded(make)


def schedule_event(setup, run):
    """The EventBridge schedule event; its `detail` (normally `{}`) padded to fill the event."""
    def make(n):
        return json.dumps({
            "version": "0", "id": f"53dc4d37-cffa-4f76-80c9-{run:012d}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2023-11-14T22:14:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/loop-LatePaymentsFunctionEveryMinute"],
            "detail": {"padding": "d" * n}}, separators=(",", ":")).encode()

    return padded(make)


EVENTS = {
    "stripe-ingest": (stripe_event, "signed `customer.created` (new contact; 5 endpoints: 10 deliveries queued), "
                                    "padded in `data.object`"),
    "checkout": (checkout_event, "`PATCH /v1/webhook-endpoints/{id}`, valid body whitespace-padded"),
    "email": (email_event, "`PATCH /v1/account`, valid body whitespace-padded"),
    "dispatch": (dispatch_event, "SQS batch of 10 delivery pointers (real deliveries to a loopback receiver), "
                                 "padded in message attributes"),
    "late-payments": (schedule_event, "EventBridge schedule event, padded in `detail`"),
    "dashboard": (dashboard_event, "`POST /dashboard/login` with the API key (a session started), form-padded"),
}


def outcome(function, answer):
    """One short word for what the function answered, and whether that is the expected answer."""
    if function in ("stripe-ingest", "checkout", "email"):
        status = answer.get("statusCode")
        said = f"HTTP {status}"
        if function == "stripe-ingest":
            try:
                said += " " + json.loads(answer.get("body") or "{}").get("status", "")
            except ValueError:
                pass
        return said, status == 200
    if function == "dashboard":
        status = answer.get("statusCode")
        signed_in = any(c.startswith("loop_dashboard=ds_") for c in answer.get("cookies") or []) or \
            "loop_dashboard=ds_" in json.dumps(answer.get("headers") or {})
        return f"HTTP {status}{' signed in' if signed_in else ''}", status == 303 and signed_in
    if function == "dispatch":
        failures = len(answer.get("batchItemFailures") or [])
        return f"{failures} failures", failures == 0
    return f"latePayments={answer.get('latePayments')}", isinstance(answer.get("latePayments"), int)


# ------------------------------------------------------------------ the stack

def sqs_queue_url(endpoint, name):
    req = urllib.request.Request(endpoint, data=json.dumps({"QueueName": name}).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueUrl",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())["QueueUrl"]


def set_up(local_binary, moto_url, receiver_url):
    """Provisions through `loop-local` (then stops it): the demo account, endpoints, two outbound events."""
    http_port = free_port()
    runner, setup = start_local(local_binary, moto_url, http_port)
    try:
        base = f"http://127.0.0.1:{http_port}"
        auth = {"Authorization": f"Bearer {setup['key']}", "Content-Type": "application/json"}
        endpoints = [request("POST", f"{base}/v1/webhook-endpoints", {"url": receiver_url, "events": ["*"]}, auth)[1]["id"]
                     for _ in range(ENDPOINTS)]
        t = int(time.time())
        body = json.dumps({"id": "evt_bench_package_setup", "object": "event", "type": "customer.created", "created": t,
                           "data": {"object": {"id": "cus_setup", "object": "customer",
                                               "email": "setup@example.com", "name": "Set Up"}}}).encode()
        signature = hmac.new(setup["secret"].encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        status, answer = request("POST", f"{base}/stripe/webhooks/{setup['account']}", body,
                                 {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"})
        assert status == 200 and answer.get("status") == "processed", answer
        events = [e["id"] for e in request("GET", f"{base}/v1/events", None, auth)[1]["data"]][:2]
        setup["pointers"] = [(e, w) for e in events for w in endpoints]
        setup["endpoints"] = endpoints
        assert len(setup["pointers"]) == 10, setup["pointers"]
        return setup
    finally:
        runner.send_signal(signal.SIGTERM)
        try:
            runner.wait(15)
        except subprocess.TimeoutExpired:
            runner.kill()


def machine():
    def run(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "arch": platform.machine(), "cpu": cpu, "kernel": platform.release(),
            "rustc": run("rustc", "-V"),
            "cargo_lambda": run(os.path.join(ROOT, ".venv/bin/cargo-lambda"), "lambda", "--version")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="measured cold starts per function (after one warm-up)")
    parser.add_argument("--lambda-dir", default=os.path.join(ROOT, "target/lambda"),
                        help="where cargo-lambda put <function>/bootstrap")
    parser.add_argument("--local", default=os.path.join(ROOT, "target/debug/loop-local"),
                        help="the local runner, used only to provision the emulator")
    parser.add_argument("--runner", default="",
                        help="run the bootstraps under this program (e.g. qemu-aarch64-static for arm64 builds)")
    parser.add_argument("--sizes-of", action="append", default=[],
                        help="also report the sizes of the bootstraps in this directory (e.g. the arm64 package)")
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--set-env", action="append", default=[], metavar="NAME=VALUE",
                        help="one more environment variable for the functions (e.g. SSL_CERT_FILE=…)")
    args = parser.parse_args()
    functions = args.functions.split(",")
    runner = args.runner.split() if args.runner else []

    binaries = {}
    for function in functions:
        path = os.path.join(args.lambda_dir, function, "bootstrap")
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: build it first (make package, or make bench-package)")
        binaries[function] = path
    arch = {elf_machine(p) for p in binaries.values()}
    if len(arch) != 1:
        sys.exit(f"the bootstraps are of mixed architectures: {arch}")
    arch = arch.pop()
    if arch != platform.machine() and not runner:
        sys.exit(f"the bootstraps are {arch} and this machine is {platform.machine()}: "
                 f"measure a {platform.machine()} build, or pass --runner (e.g. qemu-{arch}-static)")

    deliveries, delivery_lock = [0], threading.Lock()

    def delivered(_body):
        with delivery_lock:
            deliveries[0] += 1

    receiver = start_receiver(delivered)

    moto_port = free_port()
    moto_url = f"http://127.0.0.1:{moto_port}"
    moto = start_moto(moto_port)
    results = []
    try:
        wait_for_port(moto_port)
        setup = set_up(args.local, moto_url, f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        # What Lambda sets, plus what template.yaml sets (queue URLs: no look-up at start-up).
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/loop",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test", "AWS_ENDPOINT_URL": moto_url,
            "LOOP_TABLE_NAME": "loop", "LOOP_DELIVERY_QUEUE_URL": sqs_queue_url(moto_url, "loop-delivery"),
            "LOOP_DEAD_LETTER_QUEUE_URL": sqs_queue_url(moto_url, "loop-delivery-dlq"),
            "LOOP_CHECKOUT_SESSION_TTL_SECONDS": "86400", "LOOP_RETRY_WINDOW_HOURS": "72", "RUST_LOG": "info",
            # Only so that dispatch may deliver to the receiver on loopback (real endpoints are https and public).
            "LOOP_ALLOW_PRIVATE_ENDPOINTS": "1",
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith("QEMU_")})  # for --runner qemu-…
        env.update(item.split("=", 1) for item in args.set_env)
        load_before = os.getloadavg()[0]
        samples = {f: {"ready": [], "at_ready": [], "peak": [], "answers": [], "event_bytes": 0} for f in functions}
        # Run by run, every function in turn: whatever else loads the machine meanwhile falls on all alike.
        for run in range(args.runs + 1):
            for function in functions:
                event = EVENTS[function][0](setup, run)
                env_f = dict(env, AWS_LAMBDA_FUNCTION_NAME=f"loop-{function}")
                delivered = deliveries[0]
                ready_ms, rss_ready, hwm, answer = cold_start(binaries[function], env_f, event, runner)
                said, expected = outcome(function, answer)
                if function == "dispatch":
                    said += f", {deliveries[0] - delivered} delivered"
                if not expected:
                    sys.exit(f"{function} answered {said}: {json.dumps(answer)[:500]}")
                if run == 0:
                    continue  # the warm-up
                sample = samples[function]
                sample["ready"].append(ready_ms)
                sample["at_ready"].append(rss_ready)
                sample["peak"].append(hwm)
                sample["answers"].append(said)
                sample["event_bytes"] = len(event)
        load_after = os.getloadavg()[0]
        for function in functions:
            sample = samples[function]
            ready, peak = sample["ready"], sample["peak"]
            results.append({
                "function": function, "arch": arch, "runner": args.runner or None,
                "runs": args.runs, "event_bytes": sample["event_bytes"], "event": EVENTS[function][1],
                "ready_ms": {"min": min(ready), "median": statistics.median(ready), "p90": percentile(ready, 90), "max": max(ready),
                             "all": [round(r, 2) for r in ready]},
                "rss_at_ready_kib": statistics.median(sample["at_ready"]),
                "peak_rss_kib": {"median": statistics.median(peak), "max": max(peak)},
                "answers": sorted(set(sample["answers"])),
            })
    finally:
        moto.terminate()
        try:
            moto.wait(10)
        except subprocess.TimeoutExpired:
            moto.kill()
        receiver.shutdown()

    sizes = []
    for directory in dict.fromkeys([os.path.abspath(d) for d in args.sizes_of + [args.lambda_dir]]):
        for function in functions:
            binary = os.path.join(directory, function, "bootstrap")
            if not os.path.exists(binary):
                continue
            zip_path = os.path.join(directory, function, "bootstrap.zip")
            sizes.append({"function": function, "arch": elf_machine(binary), "dir": os.path.relpath(directory, ROOT),
                          "binary_bytes": os.path.getsize(binary),
                          "zip_bytes": os.path.getsize(zip_path) if os.path.exists(zip_path) else None})
    info = machine()
    info["load_average_1min"] = [round(load_before, 2), round(load_after, 2)]
    command = "bench/package.py " + " ".join(sys.argv[1:])
    os.makedirs(os.path.join(ROOT, "bench/out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/out/package.json"), "w") as f:
        json.dump({"command": command.strip(), "machine": info, "sizes": sizes, "results": results}, f, indent=2)

    mb = lambda b: b / 1e6
    verdict = lambda ok: "✅" if ok else "❌"
    print(f"Machine: {info['nproc']} × {info['cpu']} ({info['arch']}, Linux {info['kernel']}); {info['rustc']}; "
          f"{info['cargo_lambda']}; 1-minute load average {load_before:.2f} before the cold starts, "
          f"{load_after:.2f} after. Command: `{command.strip()}`.\n")
    print(f"Packages (target: bootstrap ≤ {TARGETS['size_mb']} MB):\n")
    print("| function | arch | bootstrap (stripped) | bootstrap.zip |")
    print("| --- | --- | --- | --- |")
    for row in sizes:
        zip_text = f"{row['zip_bytes']:,} B ({mb(row['zip_bytes']):.2f} MB)" if row["zip_bytes"] else "–"
        print(f"| {row['function']} | {row['arch']} | {row['binary_bytes']:,} B ({mb(row['binary_bytes']):.2f} MB) "
              f"{verdict(mb(row['binary_bytes']) <= TARGETS['size_mb'])} | {zip_text} |")
    where = f"{arch} bootstraps from {os.path.relpath(args.lambda_dir, ROOT)}"
    print(f"\nCold starts ({where}{' under ' + args.runner if args.runner else ''}; {args.runs} per function after "
          f"one warm-up; targets: start-to-ready ≤ {TARGETS['ready_ms']} ms, peak RSS < {TARGETS['rss_mb']} MB):\n")
    print("| function | start-to-ready min / median / p90 / max | RSS at ready | peak RSS, 1 MiB event (median / max) "
          "| event | answer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        ready_ok = r["ready_ms"]["median"] <= TARGETS["ready_ms"]
        rss_ok = r["peak_rss_kib"]["max"] * 1024 / 1e6 < TARGETS["rss_mb"]
        print(f"| {r['function']} | {r['ready_ms']['min']:.1f} / {r['ready_ms']['median']:.1f} / {r['ready_ms']['p90']:.1f} / "
              f"{r['ready_ms']['max']:.1f} ms {verdict(ready_ok)} | {r['rss_at_ready_kib'] / 1024:.1f} MiB "
              f"| {r['peak_rss_kib']['median'] / 1024:.1f} / {r['peak_rss_kib']['max'] / 1024:.1f} MiB "
              f"({r['peak_rss_kib']['max'] * 1024 / 1e6:.1f} MB) {verdict(rss_ok)} "
              f"| {r['event_bytes']:,} B: {r['event']} | {', '.join(r['answers'])} |")

if __name__ == "__main__":
    main()
