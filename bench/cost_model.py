#!/usr/bin/env python3
"""Loop's AWS cost model: requests and estimated dollars per million Stripe events, per million
deliveries, per failing delivery per day under the retry cadence, and per dead endpoint per day
with and without its circuit breaker.

The request counts are the ones the tests hold Loop to (tests/tests/stripe_request_budget.rs
counts them at the SDK). Capacity units follow from what each request reads or writes (listed
below, from shared/adapters/src/store/*); prices are on-demand list prices for us-east-1 and are inputs,
not measurements: check them against AWS's current price list before relying on the dollars.

Usage: python3 bench/cost_model.py   (prints the Markdown table BENCHMARKS.md carries)
"""

# ---- prices (USD, us-east-1, on-demand list prices; inputs) ----
WRU = 0.625 / 1e6          # DynamoDB on-demand write request unit
RRU = 0.125 / 1e6          # DynamoDB on-demand read request unit
SQS = 0.40 / 1e6           # SQS standard request (per 64 KB chunk)
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_S = 0.0000133334  # arm64
HTTP_API = 1.00 / 1e6      # API Gateway HTTP API request
SES_EMAIL = 0.10 / 1e3     # SES outbound email (per message to one recipient)
MEMORY_GB = 128 / 1024     # every function: 128 MB

# ---- what one request reads or writes (from the code; sizes are typical) ----
# customer.created with one endpoint subscribed to "*":
INGEST = {
    "dynamodb_requests": 3,   # BatchGetItem, TransactWriteItems, UpdateItem (counted by the test)
    "sqs_requests": 1,        # one SendMessageBatch for every pointer (counted by the test)
    # BatchGetItem, strongly consistent: account, endpoints, the workflow trigger names, dedupe
    # record, customer link, contact -> 6 items of <= 4 KB, absent ones billed too.
    "rru": 6,
    # TransactWriteItems (2 WRU per KB per item): dedupe record with outbox, contact, customer
    # link, trigger, 2 outbound events (~1-2 KB each), 2 delivery records -> about 9 KB-items;
    # gsi1 entries for the contact, the trigger, the 2 events and the dedupe record (the
    # dashboard's stripe-events listing): 5 more; UpdateItem marking the dedupe record
    # published: 1 (and its index entry rewritten: 1).
    "wru": 2 * 9 + 5 + 1 + 1,
    "lambda_invocations": 1,
    "lambda_seconds": 0.030,
    "http_api_requests": 1,
}
# One successful delivery attempt, in a batch of up to 10 messages.
DELIVERY = {
    "dynamodb_requests": 3,   # BatchGetItem, UpdateItem (the claim), TransactWriteItems (counted by the test)
    "sqs_requests": 0.2,      # the event-source mapping's ReceiveMessage + DeleteMessageBatch per batch of 10
    "rru": 4,                 # event, endpoints, delivery, endpoint health
    # the claim (delivery record < 1 KB: 1) + the transaction: attempt record (up to 1 KiB of
    # response kept: ~2 KB) + delivery record, 2 units per KB per item
    "wru": 1 + 2 * 3,
    "lambda_invocations": 0.1,
    "lambda_seconds": 0.3 / 10,  # a batch waits for its slowest receiver; say 300 ms per batch
    "http_api_requests": 0,
}
# One failed attempt: as a delivery, plus the endpoint's health record in the transaction (its
# failure count) and the SendMessage of the next attempt; retries are spread in time, so each
# arrives in a batch of its own (receive + delete per attempt).
FAILED_ATTEMPT = dict(DELIVERY, sqs_requests=3, lambda_invocations=1, wru=DELIVERY["wru"] + 2)
# A delivery that reaches an open-circuit endpoint and parks: the read, then one transaction
# (the parked record + a condition check of the health record, 2 units each); its message is
# deleted and no other is sent. It arrives alone (receive + delete).
PARK = {
    "dynamodb_requests": 2,
    "sqs_requests": 2,
    "rru": 4,
    "wru": 2 + 2,
    "lambda_invocations": 1,
    "lambda_seconds": 0.02,
    "http_api_requests": 0,
}
# Releasing parked deliveries, per delivery: a release job handles 100 (10 a second for 10 s):
# BatchGetItem + Query + 4 BatchWriteItem deletes; 10 SendMessageBatch + its own receive,
# delete and the next page's send. The released attempt itself is then a delivery (above).
RELEASE = {
    "dynamodb_requests": 6 / 100,
    "sqs_requests": 13 / 100,
    "rru": (2 + 5) / 100,     # endpoints + health, and ~20 KB of parked records queried
    "wru": 1,                 # one delete each
    "lambda_invocations": 1 / 100,
    "lambda_seconds": 0.05 / 100,
    "http_api_requests": 0,
}


# One workflow email, from its trigger to SES (email::workflows): the run written in the trigger's
# transaction (its item ~1 KB and its gsi1 and due entries: 3 units), the trigger's workflow read
# (one query, ~1 unit), the run's queue message (send, receive, delete), then in dispatch: the
# account, run, workflow, contact and template read (5 GetItem, strongly consistent), the step's
# claim (PutItem), the email record (PutItem, with its gsi1 entry), the claim's outcome (PutItem)
# and the run's update (PutItem: item, gsi1 and due entries rewritten) — 10 DynamoDB requests,
# 3 SQS requests, 1 SES SendEmail. A wait step adds one run update and one SQS delayed message.
WORKFLOW_EMAIL = {
    "dynamodb_requests": 1 + 5 + 4,
    "sqs_requests": 3,
    "rru": 1 + 5,
    "wru": 3 + 1 + 2 + 1 + 3,
    "lambda_invocations": 1,
    "lambda_seconds": 0.08,   # mostly SES's answer
    "http_api_requests": 0,
    "ses_emails": 1,
}
# An automated email: the job written with its event (1 unit + its due entry), the hand-over
# (send, receive, delete), then account, event and transfer read, the claim, the email record,
# the claim's outcome and the job's delete.
AUTOMATED_EMAIL = {
    "dynamodb_requests": 3 + 4 + 1,
    "sqs_requests": 3,
    "rru": 3 * 1,
    "wru": 2 + 1 + 2 + 1 + 1,
    "lambda_invocations": 1,
    "lambda_seconds": 0.08,
    "http_api_requests": 0,
    "ses_emails": 1,
}


def cost(profile, lambda_seconds=None):
    seconds = profile["lambda_seconds"] if lambda_seconds is None else lambda_seconds
    return (profile["rru"] * RRU + profile["wru"] * WRU + profile["sqs_requests"] * SQS
            + profile["lambda_invocations"] * LAMBDA_REQUEST + seconds * MEMORY_GB * LAMBDA_GB_S
            + profile["http_api_requests"] * HTTP_API + profile.get("ses_emails", 0) * SES_EMAIL)


def attempts_per_day():
    """The cadence (webhooks.md): attempts 1-4 at once, 5-13 after 1 s, 14-19 after 2 s, then 20 s."""
    t, n = 0, 0
    attempt = 1
    while t <= 86_400:
        n += 1
        attempt += 1
        t += 0 if attempt <= 4 else 1 if attempt <= 13 else 2 if attempt <= 19 else 20
    return n


def row(name, per, profile, count, lambda_seconds=None):
    ddb = profile["dynamodb_requests"] * count
    sqs = profile["sqs_requests"] * count
    dollars = cost(profile, lambda_seconds) * count
    return f"| {name} | {per} | {ddb:,.0f} | {sqs:,.0f} | {profile['rru'] * count:,.0f} | {profile['wru'] * count:,.0f} | ${dollars:,.2f} |"


def main():
    n = attempts_per_day()
    print("| what | per | DynamoDB requests | SQS requests | read units | write units | estimated cost |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("Stripe events (`customer.created`, 1 endpoint)", "1 million", INGEST, 1e6))
    print(row("deliveries (first attempt succeeds)", "1 million", DELIVERY, 1e6))
    print(row(f"a failing delivery, receiver answers fast ({n:,} attempts/day)", "day", FAILED_ATTEMPT, n, 0.1))
    print(row("a failing delivery, receiver times out (15 s)", "day", FAILED_ATTEMPT, n, 15.0))
    # An endpoint that receives events evenly all day while it is down: on average each event has
    # been retrying for half the day by its end.
    events = 1000
    for label, seconds in (("answers fast", 0.1), ("times out", 15.0)):
        dollars = cost(FAILED_ATTEMPT, seconds) * n * events / 2
        print(f"| a failing endpoint without its breaker ({events:,} events/day, {n * events / 2:,.0f} attempts, {label}) | day | {FAILED_ATTEMPT['dynamodb_requests'] * n * events / 2:,.0f} "
              f"| {FAILED_ATTEMPT['sqs_requests'] * n * events / 2:,.0f} | {FAILED_ATTEMPT['rru'] * n * events / 2:,.0f} "
              f"| {FAILED_ATTEMPT['wru'] * n * events / 2:,.0f} | ${dollars:,.2f} |")
    # The same endpoint behind the circuit breaker: one probe on the cadence (its attempts are
    # failed attempts), every other event parked once, no attempt.
    for label, seconds in (("answers fast", 0.1), ("times out", 15.0)):
        ddb = FAILED_ATTEMPT["dynamodb_requests"] * n + PARK["dynamodb_requests"] * events
        sqs = FAILED_ATTEMPT["sqs_requests"] * n + PARK["sqs_requests"] * events
        rru = FAILED_ATTEMPT["rru"] * n + PARK["rru"] * events
        wru = FAILED_ATTEMPT["wru"] * n + PARK["wru"] * events
        dollars = cost(FAILED_ATTEMPT, seconds) * n + cost(PARK) * events
        print(f"| the same, circuit-broken: {n:,} probe attempts + {events:,} parked ({label}) | day | {ddb:,.0f} | {sqs:,.0f} "
              f"| {rru:,.0f} | {wru:,.0f} | ${dollars:,.2f} |")
    print(row("releasing parked deliveries once the endpoint recovers (then each is a delivery)", "1 million", RELEASE, 1e6))
    print(row("workflow emails (one email step; SES $0.10 per 1,000 is most of it)", "1 million", WORKFLOW_EMAIL, 1e6))
    print(row("automated emails (payment request, late notice, receipt)", "1 million", AUTOMATED_EMAIL, 1e6))
    print()
    print(f"Cadence: {n:,} attempts in the first 24 h of a failing delivery (then 4,320 a day until the 72 h window ends).")


# ---- hot merchants: per-account list indexes (shared/adapters/src/store/keys/listing.rs) ----
PARTITION_WCU = 1000       # what one DynamoDB partition (table or index) takes per second
LISTING_SHARDS = 16        # store::listing::LISTING_SHARDS
HOT_EVENTS_PER_SECOND = 1000
# What one Stripe event writes to the account's list indexes. gsi1 projects whole items, so an
# index entry costs ceil(item size / 1 KB) write units (index writes are standard writes, even
# inside a transaction). Outbound events: customer.created publishes two (contact.created,
# event.triggered, under 1 KB each with the spec's fixtures); an invoice's payload with its lines
# runs to a few KB: 4 KB is the case to plan for.
# listing: (entries per Stripe event, write units per entry)
HOT_LISTINGS = {
    "events": (2, 4),    # two outbound events of up to 4 KB
    "contacts": (1, 2),  # one contact (with metadata, up to 2 KB)
}


def hot_merchant_rows():
    """Write units a second on the busiest key of each listing, unsharded and sharded."""
    rows = []
    for name, (per_event, units) in HOT_LISTINGS.items():
        entries = per_event * HOT_EVENTS_PER_SECOND
        total = entries * units
        mean = entries / LISTING_SHARDS
        # Records land on shards by a hash of random ids: a shard's count in one second is
        # binomial; four standard deviations is the busiest second to plan for.
        busiest = (mean + 4 * (mean * (1 - 1 / LISTING_SHARDS)) ** 0.5) * units
        rows.append((name, total, mean, busiest))
    return rows


def list_page_rru(limit, item_kb, shards):
    """Read units of one list page: each of the shards (and the unsharded legacy partition) is
    queried, eventually consistent (0.5 unit per 4 KB, rounded up per query); each first gives
    about its share of the page plus one (store::merged)."""
    sources = shards + 1 if shards > 1 else 1
    per_source = -(-(limit + 1) // sources) + (1 if shards > 1 else 0)
    units_per_query = max(1, -(-int(per_source * item_kb) // 4))
    return sources, sources * units_per_query * 0.5


def hot_merchant():
    print(f"| listing (at {HOT_EVENTS_PER_SECOND:,} Stripe events/s) | write units/s, one key (before) "
          f"| mean per key, {LISTING_SHARDS} shards | busiest key, one second (mean + 4 sd) |")
    print("| --- | ---: | ---: | ---: |")
    for name, total, mean, busiest in hot_merchant_rows():
        print(f"| {name} | {total:,.0f} | {mean * HOT_LISTINGS[name][1]:,.0f} | {busiest:,.0f} |")
    print()
    print("| list page (1 KB items) | queries before | read units before | queries now | read units now | per million pages now |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for limit in (10, 100):
        q0, r0 = list_page_rru(limit, 1, 1)
        q1, r1 = list_page_rru(limit, 1, LISTING_SHARDS)
        print(f"| `limit={limit}` | {q0} | {r0:g} | {q1} | {r1:g} | ${r1 * RRU * 1e6:,.2f} |")


if __name__ == "__main__":
    main()
    print()
    hot_merchant()
