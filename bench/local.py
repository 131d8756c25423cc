"""What the bench scripts share for driving processes on loopback (standard library only)."""
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def request(method, url, body=None, headers=None):
    """(status, parsed JSON body); a dict or list body is sent as JSON, bytes as they are."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def cpu_times(pid):
    """(user, system) CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def start_moto(port):
    """The emulator `make dev` runs (`local/moto_serialized.py`), on 127.0.0.1:`port`."""
    return subprocess.Popen([os.path.join(ROOT, ".venv/bin/python"), os.path.join(ROOT, "local/moto_serialized.py"),
                             "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_local(binary, moto_url, http_port):
    """Starts `loop-local` against the emulator at `moto_url`, serving 127.0.0.1:`http_port`, and
    reads its banner: (process, {"account", "key", "secret"}) of the demo account it made."""
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_url, LOOP_HTTP_ADDR=f"127.0.0.1:{http_port}",
               LOOP_ALLOW_PRIVATE_ENDPOINTS="1", RUST_LOG="warn")
    runner = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    banner = ""
    while "Try it" not in banner:
        line = runner.stdout.readline()
        if not line:
            sys.exit("loop-local exited before its banner")
        banner += line
    demo = {
        "account": re.search(r"Demo account:\s+(\S+)", banner).group(1),
        "key": re.search(r"API key \(test mode\):\s+(\S+)", banner).group(1),
        "secret": re.search(r"Stripe signing secret:\s+(\S+)", banner).group(1),
    }
    return runner, demo


def start_receiver(on_body, keep_alive=False):
    """A webhook receiver on loopback answering 200 to every POST after `on_body(body)`."""

    class Receiver(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self):
            on_body(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
