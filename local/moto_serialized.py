"""The moto server, with every DynamoDB request handled one at a time.

moto applies a TransactWriteItems by copying the tables, and on a failed condition restores that
copy — discarding whatever other requests wrote in the meantime. Under concurrent transactions
(duplicate Stripe deliveries, racing checkout transitions) that loses committed writes, which
DynamoDB never does. Serializing DynamoDB requests makes the emulator behave like DynamoDB here;
SQS (and its long polls) stays concurrent. Usage: python moto_serialized.py -H HOST -p PORT
"""
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialized(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
