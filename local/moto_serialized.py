"""The moto server, with every DynamoDB request handled one at a time, and transactions that
touch only their own items.

moto applies a TransactWriteItems by deep-copying every table it names, and on a failed condition
restores that copy — discarding whatever other requests wrote in the meantime, and costing time
in proportion to the table's size on every transaction. Under concurrent transactions (duplicate
Stripe deliveries, racing checkout transitions) that loses committed writes, which DynamoDB never
does; on a long run it makes the emulator quadratic. So here:

- DynamoDB requests are serialized (SQS, and its long polls, stays concurrent);
- a transaction checks every condition first and applies nothing if one fails, as DynamoDB
  does; only the items it writes are saved beforehand, to be put back if applying one fails;
- connections are kept alive between requests (HTTP/1.1), as AWS's endpoints keep them: the
  development server moto runs on (werkzeug) closes every connection after one response, so
  each AWS request cost its client a new TCP connection. See `_KeepAliveHandler` for how a
  request is framed so that the next one on the connection is never misread;
- a fault mode (`faults.py`, set per test over `/_loop/faults`) produces what DynamoDB and SQS
  do under concurrency and load and moto never does: transaction conflicts, throttling, partial
  batch reads, duplicate and reordered messages, failed deletes;
- `GET /_loop/requests` answers how many requests of each operation (`X-Amz-Target`), how many
  empty `ReceiveMessage` answers and how many connections the server has had, for benchmarks
  (`bench/e2e.py`) to report what an event costs in requests.

Usage: python moto_serialized.py -H HOST -p PORT
"""
import collections
import copy
import io
import json
import socket
import sys
import threading
import traceback

import moto.server

import faults

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from moto.server import main
from werkzeug.exceptions import InternalServerError

_lock = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialized(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized


def _key_of(backend, op_type, op):
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    plan, seen, errors = [], set(), []
    # Every condition is evaluated against the state before the transaction.
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        key = _key_of(self, op_type, op)
        identity = (op["TableName"], str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = self.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        failed = None
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                failed = ("ConditionalCheckFailed", str(ConditionalCheckFailed(item=old).message), old)
        errors.append(failed or (None, None, None))
        plan.append((op_type, op, key, copy.deepcopy(current)))
    conflict = faults.conflicting_plan()
    if conflict is not None:
        errors = faults.cancel_reasons(conflict, errors)
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    applied = []
    try:
        for op_type, op, key, before in plan:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                              expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(op["TableName"], key, expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                                 expression_attribute_names=names, expression_attribute_values=values)
            applied.append((op["TableName"], key, before))
    except Exception as error:
        for table_name, key, before in reversed(applied):
            if before is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, before.to_json()["Attributes"])
        if isinstance(error, MockValidationException):
            raise
        raise TransactionCanceledException([(type(error).__name__, str(error), None)])


DynamoDBBackend.transact_write_items = _transact_write_items


_counts = collections.Counter()
_counts_lock = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _counted(self, environ, start_response):
    if environ["PATH_INFO"] == "/_loop/requests":
        with _counts_lock:
            body = json.dumps(dict(_counts)).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if environ["PATH_INFO"] == "/_loop/faults":
        return faults.control(environ, start_response)
    target = environ.get("HTTP_X_AMZ_TARGET") or f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
    result = faults.handle(lambda env, start: _dispatch(self, env, start), environ, start_response)
    empty = False
    if target == "AmazonSQS.ReceiveMessage":
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        empty, result = b'"Messages"' not in body, [body]
    with _counts_lock:
        _counts[target] += 1
        _counts["AmazonSQS.ReceiveMessage (empty)"] += empty
    return result


DomainDispatcherApplication.__call__ = _counted


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler, with connections kept open between requests.

    werkzeug's handler sends `Connection: close` on every response, because it cannot tell where
    a request's body ends: the application may leave part of it unread, and werkzeug then drains
    the socket for 10 ms, which on a kept-alive connection would swallow the next request. Here a
    request that states its `Content-Length` (every AWS SDK request does) has exactly that many
    bytes read before moto sees it, and moto gets them from memory; the response is collected
    whole and sent with its own `Content-Length`. So each request ends where its length says,
    and each response where its length says, and the connection is left at the next request
    line. Anything else (a chunked body, `Expect: 100-continue`, a bad length, HTTP/1.0) goes
    to werkzeug's own handling, which closes the connection after it as before.
    """

    # A response goes out in one write (the headers and body buffered, flushed at its end), and
    # with TCP_NODELAY: written in two pieces on a kept-alive connection, the second waits for
    # the client's delayed ACK of the first (Nagle), 40 ms per request.
    wbufsize = -1

    def setup(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        with _counts_lock:
            _counts["connections"] += 1

    def run_wsgi(self):
        length = self.headers.get("Content-Length", "0").strip()
        if (
            self.request_version != "HTTP/1.1"
            or "Transfer-Encoding" in self.headers
            or "Expect" in self.headers
            or not length.isdigit()
        ):
            return super().run_wsgi()
        body = self.rfile.read(int(length))
        if len(body) != int(length):
            self.close_connection = True  # the client went away mid-body
            return
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            status, headers, chunks = self._call(self.server.app, environ)
        except Exception:
            self.server.log("error", f"Error on request:\n{traceback.format_exc()}")
            self.close_connection = True
            status, headers, chunks = self._call(InternalServerError(), environ)
        code, _, reason = status.partition(" ")
        code = int(code)
        bodiless = self.command == "HEAD" or code < 200 or code in (204, 304)
        response = b"" if bodiless else b"".join(chunks)
        self.send_response(code, reason)
        for name, value in headers:
            lowered = name.lower()
            # The framing is this handler's: its own length, no hop-by-hop headers.
            if lowered in ("connection", "keep-alive", "transfer-encoding"):
                continue
            if lowered == "content-length" and not bodiless:
                continue
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(response)))
        if self.close_connection:  # the client asked for it (`Connection: close`)
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response)
        self.wfile.flush()

    @staticmethod
    def _call(app, environ):
        """Runs a WSGI application to the end: (status, headers, body chunks)."""
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = status, headers
            return chunks.append

        chunks = []
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return started["status"], started["headers"], chunks


moto.server.MotoRequestHandler = _KeepAliveHandler

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
