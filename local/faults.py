"""The emulator's fault mode: what DynamoDB and SQS do under concurrency and load, which moto,
serving one request at a time, never does (`quality.md`, "Under real AWS semantics").

A plan is set over HTTP for a *scope*: a prefix of table and queue names (a test stack's
`loop-<suffix>`), or `*` for every request. Only requests naming a resource of the scope meet
faults, so one emulator serves tests with and without them side by side. A plan is seeded: each
scope draws from its own `random.Random(seed)`, and the seed is printed by whoever sets it, so a
failing run can be looked at again (under concurrency the order of draws follows the order of
requests, so a seed reproduces the mix of faults, not every interleaving).

    POST   /_loop/faults  {"scope": "loop-abc", "seed": 7, "rates": {"*": {"throttle": 0.02},
                           "TransactWriteItems": {"conflict": 0.2}}}
    GET    /_loop/faults  -> {"loop-abc": {"seed": 7, "injected": {"conflict": 3, ...}}}
    DELETE /_loop/faults?scope=loop-abc

`rates` maps an operation (as `X-Amz-Target` names it: `TransactWriteItems`, `ReceiveMessage`)
or `*` to the probability of each kind of fault:

- `throttle` (DynamoDB, any call): `ProvisionedThroughputExceededException`,
  `ThrottlingException` or `RequestLimitExceeded`, before anything is applied;
- `internal` (DynamoDB, any call): `InternalServerError` (HTTP 500), before anything is applied;
- `conflict` (`TransactWriteItems`): cancelled with `TransactionConflict` on some items, after
  every condition was evaluated for real, so the reasons mix `ConditionalCheckFailed` (a
  condition that really failed), `TransactionConflict` and `None`;
- `unprocessed` (`BatchGetItem`): part of the keys answered as `UnprocessedKeys`;
- `duplicate` (`ReceiveMessage`, per message): the message is also left visible, so another
  receive gets it again while the first receiver still works on it;
- `reorder` (`SendMessage`/`SendMessageBatch` per message, and `ReceiveMessage` per batch): a
  message sent is held back 1-3 s more than asked, so later ones overtake it; a batch received
  comes shuffled;
- `delete_fail` (`DeleteMessage`, `DeleteMessageBatch` per entry): the delete fails and the
  message is not deleted, so it comes back after its visibility timeout.
"""
import collections
import io
import json
import random
import threading
import urllib.parse

from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

_DYNAMODB_THROTTLES = (
    "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "com.amazon.coral.availability#ThrottlingException",
    "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded",
)


class Plan:
    def __init__(self, scope, seed, rates):
        self.scope = scope
        self.seed = seed
        self.rates = rates
        self.rng = random.Random(seed)
        self.injected = collections.Counter()
        self.lock = threading.Lock()

    def matches(self, names):
        return self.scope == "*" or any(name.startswith(self.scope) for name in names)

    def roll(self, operation, kind):
        """Whether this request (or message) meets a fault of this kind; counts it if so."""
        rate = self.rates.get(operation, {}).get(kind, self.rates.get("*", {}).get(kind, 0.0))
        if rate <= 0:
            return False
        with self.lock:
            hit = self.rng.random() < rate
            if hit:
                self.injected[kind] += 1
        return hit

    def draw(self, choose):
        """A draw from the plan's generator: `choose(rng)`, under its lock."""
        with self.lock:
            return choose(self.rng)


_plans = {}
_plans_lock = threading.Lock()
# Set while moto applies a transaction that must be cancelled with a conflict: the plan to draw
# the conflicting items from. The transaction runs on the request's thread.
_conflict = threading.local()


def conflicting_plan():
    return getattr(_conflict, "plan", None)


def cancel_reasons(plan, errors):
    """Adds `TransactionConflict` to a transaction's reasons: on at least one item whose
    condition held (the others stay `None`), as DynamoDB reports a conflict."""
    free = [i for i, (code, _, _) in enumerate(errors) if code is None]
    if not free:
        return errors
    chosen = plan.draw(lambda rng: rng.sample(free, rng.randint(1, len(free))))
    message = "Transaction is ongoing for the item"
    return [("TransactionConflict", message, None) if i in chosen else e for i, e in enumerate(errors)]


def _json(start_response, status, body, content_type="application/json"):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def control(environ, start_response):
    """`/_loop/faults`: set, read or clear plans."""
    method = environ["REQUEST_METHOD"]
    if method == "GET":
        with _plans_lock:
            report = {s: {"seed": p.seed, "injected": dict(p.injected)} for s, p in _plans.items()}
        return _json(start_response, "200 OK", report)
    if method == "DELETE":
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        with _plans_lock:
            for scope in query.get("scope", []):
                _plans.pop(scope, None)
        return _json(start_response, "200 OK", {})
    if method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length))
            plan = Plan(str(body["scope"]), int(body["seed"]), dict(body.get("rates", {})))
        except (ValueError, KeyError, TypeError) as error:
            return _json(start_response, "400 Bad Request", {"error": f"bad fault plan: {error}"})
        with _plans_lock:
            _plans[plan.scope] = plan
        return _json(start_response, "200 OK", {"scope": plan.scope, "seed": plan.seed})
    return _json(start_response, "405 Method Not Allowed", {"error": "GET, POST or DELETE"})


def _resource_names(service, request):
    if service == "sqs":
        url = request.get("QueueUrl", "")
        return [url.rstrip("/").rsplit("/", 1)[-1]] if url else []
    names = []
    if "TableName" in request:
        names.append(request["TableName"])
    names.extend(request.get("RequestItems", {}).keys())
    for item in request.get("TransactItems", []):
        for op in item.values():
            if isinstance(op, dict) and "TableName" in op:
                names.append(op["TableName"])
    return names


def _plan_for(names):
    with _plans_lock:
        plans = list(_plans.values())
    return next((p for p in plans if p.matches(names)), None)


def _collect(app, environ):
    """Runs the WSGI application to the end: (status, headers, body bytes)."""
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return started["status"], started["headers"], body


def _reply(start_response, status, headers, body):
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def handle(app, environ, start_response):
    """Runs one AWS request through `app` (moto), meeting the faults of its scope's plan."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target or not _plans:
        return app(environ, start_response)
    prefix, _, operation = target.rpartition(".")
    service = "sqs" if prefix == "AmazonSQS" else "dynamodb" if prefix.startswith("DynamoDB") else None
    if service is None:
        return app(environ, start_response)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        request = json.loads(raw or b"{}")
    except ValueError:
        return app(environ, start_response)
    plan = _plan_for(_resource_names(service, request))
    if plan is None:
        return app(environ, start_response)
    if service == "dynamodb":
        return _dynamodb(plan, operation, request, app, environ, start_response)
    return _sqs(plan, operation, request, app, environ, start_response)


def _with_body(environ, request):
    data = json.dumps(request).encode()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))


def _dynamodb(plan, operation, request, app, environ, start_response):
    content_type = "application/x-amz-json-1.0"
    if plan.roll(operation, "throttle"):
        error_type = plan.draw(lambda rng: rng.choice(_DYNAMODB_THROTTLES))
        body = {"__type": error_type, "message": "Injected by the emulator's fault mode"}
        return _json(start_response, "400 Bad Request", body, content_type)
    if plan.roll(operation, "internal"):
        body = {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "message": "Injected by the emulator's fault mode"}
        return _json(start_response, "500 Internal Server Error", body, content_type)
    if operation == "TransactWriteItems" and plan.roll(operation, "conflict"):
        _conflict.plan = plan
        try:
            status, headers, body = _collect(app, environ)
        finally:
            _conflict.plan = None
        return _reply(start_response, status, headers, body)
    if operation == "BatchGetItem" and plan.roll(operation, "unprocessed"):
        return _partial_batch_get(plan, request, app, environ, start_response)
    return app(environ, start_response)


def _partial_batch_get(plan, request, app, environ, start_response):
    withheld = {}
    for table, wanted in request.get("RequestItems", {}).items():
        keys = wanted.get("Keys", [])
        if not keys:
            continue
        held = plan.draw(lambda rng: set(rng.sample(range(len(keys)), rng.randint(1, len(keys)))))
        withheld[table] = {**wanted, "Keys": [k for i, k in enumerate(keys) if i in held]}
        wanted["Keys"] = [k for i, k in enumerate(keys) if i not in held]
    request["RequestItems"] = {t: w for t, w in request["RequestItems"].items() if w.get("Keys")}
    if not request["RequestItems"]:
        body = {"Responses": {t: [] for t in withheld}, "UnprocessedKeys": withheld}
        return _json(start_response, "200 OK", body, "application/x-amz-json-1.0")
    _with_body(environ, request)
    status, headers, body = _collect(app, environ)
    if not status.startswith("200"):
        return _reply(start_response, status, headers, body)
    answer = json.loads(body)
    unprocessed = answer.setdefault("UnprocessedKeys", {})
    for table, held in withheld.items():
        if table in unprocessed:
            unprocessed[table]["Keys"].extend(held["Keys"])
        else:
            unprocessed[table] = held
    return _reply(start_response, status, headers, json.dumps(answer).encode())


def _queue_name(request):
    return request.get("QueueUrl", "").rstrip("/").rsplit("/", 1)[-1]


def _sqs_backend(environ):
    region = environ.get("LOOP_REGION", "us-east-1")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    # The credential scope names the region: `Credential=KEY/DATE/REGION/sqs/aws4_request`.
    if "Credential=" in auth:
        parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(parts) >= 3:
            region = parts[2]
    return sqs_backends[DEFAULT_ACCOUNT_ID][region]


def _sqs(plan, operation, request, app, environ, start_response):
    content_type = "application/x-amz-json-1.0"
    if operation == "DeleteMessage" and plan.roll(operation, "delete_fail"):
        body = {"__type": "com.amazonaws.sqs#InternalError", "message": "Injected by the emulator's fault mode"}
        return _json(start_response, "500 Internal Server Error", body, content_type)
    if operation == "DeleteMessageBatch":
        entries = request.get("Entries", [])
        failing = [e for e in entries if plan.roll(operation, "delete_fail")]
        if not failing:
            return app(environ, start_response)
        failed = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError",
                   "Message": "Injected by the emulator's fault mode"} for e in failing]
        kept = [e for e in entries if e not in failing]
        if not kept:
            return _json(start_response, "200 OK", {"Successful": [], "Failed": failed}, content_type)
        request["Entries"] = kept
        _with_body(environ, request)
        status, headers, body = _collect(app, environ)
        if not status.startswith("200"):
            return _reply(start_response, status, headers, body)
        answer = json.loads(body)
        answer["Failed"] = answer.get("Failed", []) + failed
        return _reply(start_response, status, headers, json.dumps(answer).encode())
    if operation in ("SendMessage", "SendMessageBatch"):
        entries = request.get("Entries", []) if operation == "SendMessageBatch" else [request]
        held = False
        for entry in entries:
            if plan.roll(operation, "reorder"):
                extra = plan.draw(lambda rng: rng.randint(1, 3))
                entry["DelaySeconds"] = min(900, int(entry.get("DelaySeconds", 0)) + extra)
                held = True
        if held:
            _with_body(environ, request)
        return app(environ, start_response)
    if operation == "ReceiveMessage":
        status, headers, body = _collect(app, environ)
        if not status.startswith("200"):
            return _reply(start_response, status, headers, body)
        answer = json.loads(body or b"{}")
        messages = answer.get("Messages", [])
        if not messages:
            return _reply(start_response, status, headers, body)
        if len(messages) > 1 and plan.roll(operation, "reorder"):
            plan.draw(lambda rng: rng.shuffle(messages))
        backend = _sqs_backend(environ)
        for message in messages:
            if plan.roll(operation, "duplicate"):
                try:
                    backend.change_message_visibility(_queue_name(request), message["ReceiptHandle"], 0)
                except Exception:  # the message went away meanwhile: nothing to duplicate
                    pass
        return _reply(start_response, status, headers, json.dumps(answer).encode())
    return app(environ, start_response)
