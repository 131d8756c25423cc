"""The moto server, with every DynamoDB request handled one at a time, and transactions that
touch only their own items.

moto applies a TransactWriteItems by deep-copying every table it names, and on a failed condition
restores that copy — discarding whatever other requests wrote in the meantime, and costing time
in proportion to the table's size on every transaction. Under concurrent transactions (duplicate
Stripe deliveries, racing checkout transitions) that loses committed writes, which DynamoDB never
does; on a long run it makes the emulator quadratic. So here:

- DynamoDB requests are serialized (SQS, and its long polls, stays concurrent);
- a transaction checks every condition first and applies nothing if one fails, as DynamoDB
  does; only the items it writes are saved beforehand, to be put back if applying one fails.

Usage: python moto_serialized.py -H HOST -p PORT
"""
import copy
import sys
import threading

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
from moto.server import main

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

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
