"""Verifies deliveries with the official Standard Webhooks library, as a merchant's receiver would.

Reads one JSON object per line on stdin: {"secret": "whsec_...", "headers": {...}, "body": "..."}.
Prints the number verified; exits 1 on the first delivery that does not verify.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

verified = 0
for line in sys.stdin:
    if not line.strip():
        continue
    delivery = json.loads(line)
    try:
        Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
    except Exception as error:  # the library raises WebhookVerificationError
        print(f"delivery {delivery['headers'].get('webhook-id')} does not verify: {error}", file=sys.stderr)
        sys.exit(1)
    verified += 1
print(verified)
