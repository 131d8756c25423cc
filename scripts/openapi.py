#!/usr/bin/env python3
"""Writes openapi.json, the OpenAPI 3 document of Loop's /v1 API (served at /v1/openapi.json).

Edit this file, run it, commit both. A Rust test checks that the document's paths and methods
are exactly the routes the code serves.
"""
import json
import os

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}

def string(**kw):
    return {"type": "string", **kw}

NULLABLE_STRING = {"type": ["string", "null"]}
# Text Loop accepts: not blank, no control characters.
TEXT = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
EMAIL = "^[a-zA-Z0-9._%+-]{1,64}@[a-zA-Z0-9-]{1,63}(\\.[a-zA-Z0-9-]{1,63})+$"
ADDRESS = "^0x[0-9a-fA-F]{40}$"
HASH = "^0x[0-9a-fA-F]{64}$"
ID = "^[A-Za-z0-9_-]{1,64}$"
OUTBOUND = ["checkout.session.completed", "checkout.session.failed", "checkout.session.expired", "contact.created",
            "contact.updated", "contact.unsubscribed", "contact.deleted", "event.triggered", "AgreementSignedUp",
            "AgreementCancelled", "TransferCreated", "TransferFinalized", "TransferProcessed", "LatePayment"]
CONTACT_GROUP = ["charge.dispute.created", "charge.dispute.closed", "checkout.session.async_payment_succeeded",
                 "checkout.session.async_payment_failed", "checkout.session.completed", "customer.created", "customer.updated",
                 "customer.deleted", "customer.subscription.created", "customer.subscription.paused", "customer.subscription.resumed",
                 "customer.subscription.trial_will_end", "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
                 "invoice.upcoming", "quote.finalized", "quote.accepted", "quote.canceled"]

def text(max_length, nullable=False):
    t = {"type": ["string", "null"] if nullable else "string", "minLength": 1, "maxLength": max_length, "pattern": TEXT}
    return t
DATE = {"type": "string", "format": "date-time"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date-time"}

def obj(props, required=None, extra=True, additional=None, description=None):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = required
    if not extra:
        o["additionalProperties"] = False
    if additional is not None:
        o["additionalProperties"] = additional
    if description:
        o["description"] = description
    return o

# A custom property's value: a string (an RFC 3339 date is one), a number, a boolean, or null (removes it).
PROPERTY_VALUE = {"type": ["string", "number", "boolean", "null"], "maxLength": 500}

def page(item):
    return obj({"data": {"type": "array", "items": ref(item)}, "hasMore": {"type": "boolean"},
                "nextStartingAfter": string(description="Present while hasMore: the startingAfter of the next page. A filtered list reads a bounded number of records per request, so a page may hold fewer than limit records, even none, and still have more.")},
               ["data", "hasMore"])

schemas = {
    "Error": obj({"error": obj({"type": string(enum=["invalid_request_error", "authentication_error", "permission_error", "idempotency_error", "api_error"]),
                                 "code": string(), "message": string(), "param": string()}, ["type", "code", "message"])}, ["error"]),
    "Account": obj({"id": string(), "name": string(), "supportEmail": NULLABLE_STRING, "testMode": {"type": "boolean"},
                    "crypto": ref("CryptoSettings"), "stripeWebhookPath": string(),
                    "email": {"oneOf": [ref("EmailSettings"), {"type": "null"}],
                              "description": "The sending identity; null until set (nothing is sent without one)."},
                    "notifications": ref("Notifications")},
                   ["id", "name", "supportEmail", "testMode", "crypto", "stripeWebhookPath", "email", "notifications"]),
    "Notifications": obj({"paymentRequest": {"type": "boolean"}, "latePayment": {"type": "boolean"}, "receipt": {"type": "boolean"},
                          "templates": obj({k: NULLABLE_STRING for k in ["paymentRequest", "latePayment", "receipt"]})},
                         ["paymentRequest", "latePayment", "receipt", "templates"],
                         description="Automated emails to the customers of transfers (off by default): paymentRequest on TransferFinalized, latePayment on LatePayment, receipt on a successful TransferProcessed; each with Loop's default template unless one of the account's is named."),
    "EmailSettings": obj({"fromAddress": string(), "fromName": NULLABLE_STRING,
                          "replyTo": {"type": ["string", "null"], "description": "The replyTo set, else the account's supportEmail."}},
                         ["fromAddress", "fromName", "replyTo"]),
    "CryptoSettings": obj({"networkId": {"type": "integer"}, "networkName": string(), "contractAddress": NULLABLE_STRING,
                           "tokenSymbol": string(), "tokenAddress": string(), "tokenDecimals": {"type": "integer"},
                           "treasuryAddresses": {"type": "object", "additionalProperties": string()}}),
    "AccountPatch": obj({"supportEmail": {"type": ["string", "null"], "maxLength": 254, "pattern": EMAIL}, "crypto": obj({
        "networkId": {"type": "integer", "minimum": 1, "maximum": 9007199254740991}, "networkName": text(100),
        "contractAddress": {"type": ["string", "null"], "pattern": ADDRESS},
        "tokenSymbol": text(20), "tokenAddress": string(pattern=ADDRESS), "tokenDecimals": {"type": "integer", "minimum": 0, "maximum": 36},
        "treasuryAddresses": {"type": "object", "propertyNames": {"pattern": "^[0-9]{1,20}$"},
                              "additionalProperties": {"type": ["string", "null"], "pattern": ADDRESS}}}, extra=False),
        "email": {"oneOf": [obj({"fromAddress": {"type": "string", "maxLength": 254, "pattern": EMAIL,
                                                 "description": "Must be a verified SES identity, or an address of a verified domain (400 identity_not_verified otherwise). Required when the account has no sender yet."},
                                 "fromName": text(100, nullable=True),
                                 "replyTo": {"type": ["string", "null"], "maxLength": 254, "pattern": EMAIL}}, extra=False),
                            {"type": "null"}], "description": "null removes the sender."},
        "notifications": obj({"paymentRequest": {"type": "boolean"}, "latePayment": {"type": "boolean"}, "receipt": {"type": "boolean"},
                              "templates": obj({k: {"type": ["string", "null"], "pattern": ID} for k in ["paymentRequest", "latePayment", "receipt"]}, extra=False)},
                             extra=False)}, extra=False),
    "StripeIntegrationUpdate": obj({
        "signingSecrets": {"type": "array", "minItems": 1, "maxItems": 2, "items": string(pattern="^whsec_[!-~]{4,194}$"),
                           "description": "New secrets; an entry may instead be the masked form GET shows (whsec_…abcd), which keeps the stored secret it masks."},
        "customerDeleted": string(enum=["unsubscribe", "delete"]),
        "events": {"type": "object", "propertyNames": {"enum": CONTACT_GROUP},
                   "additionalProperties": obj({"enabled": {"type": "boolean"}, "eventName": text(100, nullable=True),
                                                "syncName": {"type": "boolean"}, "userGroup": text(100, nullable=True)}, extra=False)}}, extra=False),
    "EventSettings": obj({"enabled": {"type": "boolean"}, "eventName": NULLABLE_STRING, "syncName": {"type": "boolean"}, "userGroup": NULLABLE_STRING}),
    "StripeIntegration": obj({"signingSecrets": {"type": "array", "items": string()}, "customerDeleted": string(enum=["unsubscribe", "delete"]),
                              "events": {"type": "object", "additionalProperties": ref("EventSettings")},
                              "connected": {"type": "boolean"}, "stripeWebhookEndpointId": NULLABLE_STRING,
                              "stripeWebhookUrl": NULLABLE_STRING, "connectedAt": NULLABLE_DATE,
                              "backfill": {"oneOf": [{"type": "null"}, ref("Backfill")]}}),
    "Backfill": obj({"status": string(enum=["running", "completed", "failed"]), "phase": string(enum=["products", "prices", "done"]),
                     "products": {"type": "integer"}, "prices": {"type": "integer"}, "pages": {"type": "integer"},
                     "retries": {"type": "integer"}, "lastError": NULLABLE_STRING, "startedAt": DATE, "updatedAt": DATE,
                     "finishedAt": NULLABLE_DATE}),
    "StripeConnect": obj({"restrictedKey": string(pattern="^rk_(live|test)_[A-Za-z0-9]{10,240}$")}, ["restrictedKey"], extra=False),
    "PaymentLink": obj({"id": string(), "name": string(), "itemId": string(), "amount": string(), "currency": string(),
                        "active": {"type": "boolean"}, "createdAt": DATE}, ["id", "name", "amount", "currency", "active", "createdAt"]),
    "PaymentLinkCreate": {"oneOf": [
        obj({"name": text(200), "itemId": string(pattern=ID)}, ["name", "itemId"], extra=False),
        obj({"name": text(200), "amount": string(pattern="^(0{0,3}[1-9][0-9]{0,20}(\\.[0-9]{1,18})?|0{1,3}\\.[0-9]{0,17}[1-9])$"),
             "currency": string(pattern="^[A-Za-z0-9]{3,10}$")}, ["name", "amount", "currency"], extra=False)]},
    "ChainPayment": obj({"transactionHash": string(pattern=HASH), "logIndex": {"type": "integer"}, "from": string(pattern=ADDRESS),
                         "amountPaid": string(), "blockNumber": {"type": "integer"}, "networkId": {"type": "integer"}, "confirmedAt": DATE},
                        ["transactionHash", "logIndex", "from", "amountPaid", "blockNumber", "networkId", "confirmedAt"]),
    "PaymentSubmission": obj({"transactionHash": string(pattern=HASH)}, ["transactionHash"], extra=False),
    "PaymentConfirming": obj({"status": string(enum=["confirming"]), "transactionHash": string(pattern=HASH)}, ["status", "transactionHash"]),
    "PaymentStatus": obj({"status": string(enum=["open", "completed", "failed", "expired", "processed"]), "payment": ref("ChainPayment"),
                          "failureReason": string(), "transferId": string()}, ["status"]),
    "TransferPaid": obj({"status": string(enum=["processed", "failed"]), "transferId": string(), "payment": ref("ChainPayment"),
                         "failureReason": string()}, ["status", "transferId", "payment"]),
    "CheckoutSession": obj({"id": string(), "url": string(), "paymentLinkId": string(), "externalCustomerId": NULLABLE_STRING,
                            "status": string(enum=["open", "completed", "failed", "expired"]),
                            "metadata": {"type": "object", "additionalProperties": string()}, "amount": string(), "currency": string(),
                            "createdAt": DATE, "expiresAt": DATE, "completedAt": DATE, "failedAt": DATE, "expiredAt": DATE,
                            "payment": ref("ChainPayment"), "failureReason": string()},
                           ["id", "url", "paymentLinkId", "status", "metadata", "amount", "currency", "createdAt", "expiresAt"]),
    "CheckoutSessionCreate": obj({"paymentLinkId": text(64), "externalCustomerId": {"type": ["string", "null"], "maxLength": 255},
                                  "metadata": {"type": ["object", "null"], "maxProperties": 50, "propertyNames": {"minLength": 1, "maxLength": 40},
                                               "additionalProperties": string(maxLength=500)}},
                                 ["paymentLinkId"], extra=False),
    "WebhookEndpoint": obj({"id": string(), "url": string(), "events": {"type": "array", "items": string()}, "description": NULLABLE_STRING,
                            "status": string(enum=["enabled", "disabled"]), "disabledReason": NULLABLE_STRING, "secret": NULLABLE_STRING,
                            "createdAt": DATE}, ["id", "url", "events", "status", "createdAt"]),
    "WebhookEndpointCreate": obj({"url": string(format="uri", pattern="^https://", maxLength=2048),
                                  "events": {"type": "array", "minItems": 1, "maxItems": 50, "items": string(enum=OUTBOUND + ["*"])},
                                  "description": {"type": ["string", "null"], "maxLength": 500}},
                                 ["url", "events"], extra=False),
    "WebhookEndpointUpdate": obj({"url": string(format="uri", pattern="^https://", maxLength=2048),
                                  "events": {"type": "array", "minItems": 1, "maxItems": 50, "items": string(enum=OUTBOUND + ["*"])},
                                  "description": {"type": ["string", "null"], "maxLength": 500},
                                  "status": string(enum=["enabled", "disabled"])}, extra=False),
    "Event": obj({"id": string(), "type": string(), "created": DATE, "payload": {"type": "object"},
                  "endpoints": {"type": "array", "items": ref("Delivery")}}, ["id", "type", "created", "payload"]),
    "Delivery": obj({"endpointId": string(), "status": string(enum=["pending", "succeeded", "failed"]), "reason": NULLABLE_STRING,
                     "attempts": {"type": "array", "items": ref("Attempt")}}),
    "Attempt": obj({"id": string(), "endpointId": string(), "attempt": {"type": "integer"}, "at": DATE, "responseStatus": {"type": ["integer", "null"]}, "durationMs": {"type": "integer"},
                    "error": NULLABLE_STRING, "responseBody": NULLABLE_STRING}),
    "Contact": obj({"id": string(), "email": string(), "firstName": NULLABLE_STRING, "lastName": NULLABLE_STRING, "userGroup": NULLABLE_STRING,
                    "source": string(), "subscribed": {"type": "boolean"}, "stripeCustomerId": NULLABLE_STRING, "userId": NULLABLE_STRING,
                    "createdAt": DATE, "updatedAt": DATE},
                   description="Custom properties appear beside these fields, by name."),
    "ContactEvent": obj({"id": string(), "eventName": string(), "email": string(), "eventProperties": {"type": "object"},
                         "stripeEventId": NULLABLE_STRING, "createdAt": DATE}),
    "ContactWrite": obj({"email": {"type": "string", "maxLength": 254, "pattern": EMAIL}, "userId": text(255),
                         "firstName": text(200, True), "lastName": text(200, True), "userGroup": text(200, True),
                         "subscribed": {"type": "boolean"}, "source": text(100)},
                        additional=PROPERTY_VALUE,
                        description="Any other field is a custom property (at most 50 per contact, names up to 40 characters, reserved names refused); null removes it."),
    "ContactEventSend": obj({"email": {"type": "string", "maxLength": 254, "pattern": EMAIL}, "userId": text(255),
                             "eventName": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^:]*$"},
                             "eventProperties": {"type": "object", "additionalProperties": PROPERTY_VALUE, "maxProperties": 50},
                             "firstName": text(200, True), "lastName": text(200, True), "userGroup": text(200, True),
                             "subscribed": {"type": "boolean"}, "source": text(100)}, ["eventName"],
                            additional=PROPERTY_VALUE,
                            description="email or userId names the contact (created if missing, with source api); other fields update it as PUT /v1/contacts does."),
    "EmailTemplate": obj({"id": string(), "name": string(), "subject": string(), "html": string(), "text": NULLABLE_STRING,
                          "createdAt": DATE, "updatedAt": DATE}, ["id", "name", "subject", "html", "text", "createdAt", "updatedAt"]),
    "EmailTemplateCreate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 200},
                                "subject": {"type": "string", "minLength": 1, "maxLength": 998},
                                "html": {"type": "string", "minLength": 1, "maxLength": 200000},
                                "text": {"type": ["string", "null"], "minLength": 1, "maxLength": 200000, "description": "Derived from html when absent."}},
                               ["name", "subject", "html"], extra=False,
                               description="MiniJinja (Jinja2) syntax; variables contact, event, account, unsubscribeUrl; HTML auto-escaped in html only. A part that does not parse is a 400 naming the part, with the line."),
    "EmailTemplateUpdate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 200},
                                "subject": {"type": "string", "minLength": 1, "maxLength": 998},
                                "html": {"type": "string", "minLength": 1, "maxLength": 200000},
                                "text": {"type": ["string", "null"], "minLength": 1, "maxLength": 200000}}, extra=False),
    "TemplatePreview": obj({"contact": {"type": ["object", "null"]}, "eventProperties": {"type": ["object", "null"]}}, extra=False),
    "Rendered": obj({"subject": string(), "html": string(), "text": string()}, ["subject", "html", "text"]),
    "TransactionalSend": obj({"transactionalId": string(pattern=ID), "email": {"type": "string", "maxLength": 254, "pattern": EMAIL},
                              "dataVariables": {"type": ["object", "null"], "description": "Each as event.<name> in the template."},
                              "addToAudience": {"type": "boolean"}}, ["transactionalId", "email"], extra=False),
    "TransactionalSent": obj({"success": {"type": "boolean", "description": "false when SES refused it (recorded as failed, with reason)"},
                              "id": string(), "status": string(enum=["failed"]), "reason": string()}, ["success", "id"]),
    "SentEmail": obj({"id": string(), "to": string(), "subject": string(), "templateId": string(), "workflowId": string(), "runId": string(),
                      "kind": string(enum=["workflow", "transactional", "automated"]), "status": string(enum=["sent", "failed", "skipped"]),
                      "reason": NULLABLE_STRING, "sesMessageId": NULLABLE_STRING, "createdAt": DATE,
                      "feedback": string(enum=["bounced", "bounced: transient", "complained"],
                                         description="What SES reported after sending (through the configuration set's notifications)")},
                     ["id", "to", "subject", "templateId", "kind", "status", "createdAt"]),
    "WorkflowStep": {"oneOf": [obj({"type": string(enum=["wait"]), "seconds": {"type": "integer", "minimum": 1, "maximum": 7776000}}, ["type", "seconds"], extra=False),
                               obj({"type": string(enum=["email"]), "templateId": string(pattern=ID)}, ["type", "templateId"], extra=False)]},
    "Workflow": obj({"id": string(), "name": string(), "trigger": obj({"eventName": string()}, ["eventName"]),
                     "audience": {"oneOf": [obj({"userGroup": string()}, ["userGroup"]), {"type": "null"}]},
                     "steps": {"type": "array", "items": ref("WorkflowStep")}, "status": string(enum=["active", "paused"]),
                     "createdAt": DATE, "updatedAt": DATE}, ["id", "name", "trigger", "audience", "steps", "status", "createdAt", "updatedAt"]),
    "WorkflowCreate": obj({"name": text(200), "trigger": obj({"eventName": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^:]+$"}}, ["eventName"], extra=False),
                           "audience": {"oneOf": [obj({"userGroup": {"type": ["string", "null"], "minLength": 1, "maxLength": 200}}, extra=False), {"type": "null"}]},
                           "steps": {"type": "array", "minItems": 1, "maxItems": 50, "items": ref("WorkflowStep")},
                           "status": string(enum=["active", "paused"])}, ["name", "trigger", "steps"], extra=False,
                          description="Runs start once per (workflow, trigger event) for contacts in the audience; wait steps are durable; each email step sends at most one email."),
    "WorkflowUpdate": obj({"name": text(200), "trigger": obj({"eventName": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^:]+$"}}, ["eventName"], extra=False),
                           "audience": {"oneOf": [obj({"userGroup": {"type": ["string", "null"], "minLength": 1, "maxLength": 200}}, extra=False), {"type": "null"}]},
                           "steps": {"type": "array", "minItems": 1, "maxItems": 50, "items": ref("WorkflowStep")},
                           "status": string(enum=["active", "paused"])}, extra=False),
    "WorkflowRun": obj({"id": string(), "workflowId": string(), "email": string(), "contact": obj({"email": string()}, ["email"]),
                        "triggerEventId": string(), "status": string(enum=["waiting", "running", "completed", "stopped"]),
                        "steps": {"type": "array", "items": obj({"index": {"type": "integer"}, "status": string(description="waited, sent, failed, skipped: unsubscribed, …"),
                                                                  "at": DATE, "emailId": string()}, ["index", "status", "at"])},
                        "createdAt": DATE}, ["id", "workflowId", "email", "contact", "triggerEventId", "status", "steps", "createdAt"]),
    "Saved": obj({"success": {"type": "boolean"}, "id": string()}, ["success", "id"]),
    "ContactDeleted": obj({"success": {"type": "boolean"}, "id": string(), "message": string()}, ["success", "id"]),
    # frequencyNumber and frequencyUnit are absent for one-time prices.
    "Item": obj({"itemId": string(), "name": NULLABLE_STRING, "amount": NULLABLE_STRING, "currency": NULLABLE_STRING,
                 "frequencyNumber": {"type": "integer"}, "frequencyUnit": string(enum=["Day", "Week", "Month", "Year"]), "active": {"type": "boolean"},
                 "deleted": {"type": "boolean"}, "stripePriceId": string(), "stripeProductId": NULLABLE_STRING, "updatedAt": DATE}),
    "Transfer": obj({"id": string(), "invoiceId": string(), "status": string(enum=["draft", "open", "finalized", "failed", "processed"]),
                     "amount": string(), "tokenSymbol": string(), "email": NULLABLE_STRING, "item": NULLABLE_STRING, "itemId": NULLABLE_STRING,
                     "agreementId": NULLABLE_STRING, "refId": NULLABLE_STRING, "batchId": NULLABLE_STRING, "billDate": NULLABLE_DATE,
                     "dueDate": NULLABLE_DATE, "createdAt": DATE, "updatedAt": DATE, "processedAt": NULLABLE_DATE, "transaction": NULLABLE_STRING,
                     "lastFailureReason": NULLABLE_STRING, "latePaymentNotifiedAt": NULLABLE_DATE, "paymentUrl": NULLABLE_STRING,
                     "payment": {"oneOf": [ref("ChainPayment"), {"type": "null"}]}}),
    "TransferProcess": obj({"success": {"type": "boolean"}, "transaction": {"type": ["string", "null"], "maxLength": 200},
                            "amountPaid": {"type": ["string", "null"], "pattern": "^[0-9]{1,20}(\\.[0-9]{1,18})?$"},
                            "reason": {"type": ["string", "null"], "maxLength": 500}}, ["success"], extra=False),
    "Agreement": obj({"id": string(), "stripeSubscriptionId": string(), "status": string(enum=["active", "cancelled"]), "subscriber": string(),
                      "email": NULLABLE_STRING, "item": NULLABLE_STRING, "itemId": NULLABLE_STRING, "amount": NULLABLE_STRING,
                      "frequencyNumber": {"type": ["integer", "null"]}, "frequencyUnit": NULLABLE_STRING, "refId": string(),
                      "startDate": NULLABLE_DATE, "cancelledAt": NULLABLE_DATE, "createdAt": DATE}),
    "Redelivery": obj({"id": string(), "endpoints": {"type": "integer"}}, ["id", "endpoints"]),
    "Deleted": obj({"id": string(), "deleted": {"type": "boolean"}}, ["id", "deleted"]),
    "Secret": obj({"id": string(), "secret": string()}, ["id", "secret"]),
    "DashboardLink": obj({"url": string(format="uri"), "expiresAt": string(format="date-time")}, ["url", "expiresAt"]),
}

ERRORS = {code: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
          for code, text in [("400", "Invalid request"), ("401", "Missing or invalid API key"), ("404", "Not found"),
                             ("409", "Idempotency-Key reused with another request"), ("413", "Body over 1 MiB"),
                             ("415", "Body not application/json"), ("500", "Internal error"), ("503", "Dependency unavailable")]}
LIST_PARAMS = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
               {"name": "startingAfter", "in": "query", "schema": {"type": "string", "pattern": ID}}]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "pattern": "^[!-~]([ -~]{0,253}[!-~])?$"}}

def op(summary, ok, schema, body=None, params=(), status="200", test_helper=False, post=False, body_required=True, extra_errors=()):
    responses = {status: {"description": ok, "content": {"application/json": {"schema": schema}}}}
    responses.update(ERRORS)
    for code, description in extra_errors:
        responses[code] = {"description": description, "content": {"application/json": {"schema": ref("Error")}}}
    if test_helper:
        responses["403"] = {"description": "A live key", "content": {"application/json": {"schema": ref("Error")}}}
    o = {"summary": summary, "parameters": list(params) + ([IDEMPOTENCY] if post else []), "responses": responses}
    if body:
        o["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    return o

def pid(name="id"):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}

def q(name, **schema):
    return {"name": name, "in": "query", "schema": {"type": "string", **schema}}

paths = {
    "/v1/account": {"get": op("The account", "The account", ref("Account")),
                    "patch": op("Update support email, crypto settings and the email sender", "The account", ref("Account"), ref("AccountPatch"), body_required=False)},
    "/v1/integrations/stripe": {"get": op("Stripe webhook configuration (secrets masked)", "Configuration", ref("StripeIntegration")),
                                "put": op("Replace parts of the Stripe configuration", "Configuration", ref("StripeIntegration"), ref("StripeIntegrationUpdate"), body_required=False)},
    "/v1/integrations/stripe/connect": {"post": op("Connect a Stripe account with a restricted key: makes Loop's webhook endpoint there and backfills products and prices",
                                                   "Connected; the backfill runs in the background", ref("StripeIntegration"), ref("StripeConnect"), post=True,
                                                   extra_errors=[("502", "Stripe failed or kept rate-limiting")])},
    "/v1/payment-links": {"get": op("List payment links", "A page", page("PaymentLink"), params=LIST_PARAMS),
                          "post": op("Create a payment link", "Created", ref("PaymentLink"), ref("PaymentLinkCreate"), status="201", post=True)},
    "/v1/payment-links/{id}": {"get": op("A payment link", "The link", ref("PaymentLink"), params=[pid()]),
                               "patch": op("Activate or deactivate", "The link", ref("PaymentLink"), obj({"active": {"type": "boolean"}}, ["active"], extra=False), params=[pid()])},
    "/v1/checkout-sessions": {"get": op("List checkout sessions", "A page", page("CheckoutSession"), params=LIST_PARAMS + [q("status", enum=["open", "completed", "failed", "expired"])]),
                              "post": op("Create a checkout session", "Created", ref("CheckoutSession"), ref("CheckoutSessionCreate"), status="201", post=True)},
    "/v1/checkout-sessions/{id}": {"get": op("A checkout session", "The session", ref("CheckoutSession"), params=[pid()])},
    "/v1/webhook-endpoints": {"get": op("List webhook endpoints", "A page", page("WebhookEndpoint"), params=LIST_PARAMS),
                              "post": op("Register an endpoint (its secret is shown only here)", "Created", ref("WebhookEndpoint"), ref("WebhookEndpointCreate"), status="201", post=True)},
    "/v1/webhook-endpoints/{id}": {"get": op("An endpoint (secret masked)", "The endpoint", ref("WebhookEndpoint"), params=[pid()]),
                                   "patch": op("Update an endpoint", "The endpoint", ref("WebhookEndpoint"), ref("WebhookEndpointUpdate"), params=[pid()], body_required=False),
                                   "delete": op("Delete an endpoint", "Deleted", ref("Deleted"), params=[pid()])},
    "/v1/webhook-endpoints/{id}/rotate-secret": {"post": op("Rotate the secret (the old one signs 24 h more)", "The new secret", ref("Secret"), params=[pid()], post=True)},
    "/v1/dashboard-links": {"post": op("A one-time sign-in link to the dashboard, for the key's account and mode (ttlSeconds: 30 to 86400, default 900)",
                                       "The link", ref("DashboardLink"), obj({"ttlSeconds": {"type": "integer", "minimum": 30, "maximum": 86400}}, extra=False),
                                       status="201", post=True, body_required=False)},
    "/v1/events": {"get": op("Published events (and the dashboard's webhook.test events)", "A page", page("Event"), params=LIST_PARAMS + [q("type", enum=OUTBOUND + ["webhook.test"])])},
    "/v1/events/{id}": {"get": op("An event with its deliveries and the latest 20 attempts of each", "The event", ref("Event"), params=[pid()])},
    "/v1/events/{id}/attempts": {"get": op("Every attempt of an event (or of its delivery to endpointId), newest first; startingAfter takes an attempt id",
                                           "A page", page("Attempt"), params=LIST_PARAMS + [q("endpointId", pattern=ID)])},
    "/v1/events/{id}/redeliver": {"post": op("Send an event again with the same id", "Accepted", ref("Redelivery"),
                                             obj({"endpointId": string(pattern=ID)}, extra=False), params=[pid()], status="202", post=True, body_required=False)},
    "/v1/contacts": {"get": op("Contacts (or the one with ?email=)", "A page", page("Contact"), params=LIST_PARAMS + [q("email", pattern=EMAIL, maxLength=254)]),
                     "post": op("Create a contact (publishes contact.created)", "Created", ref("Saved"), ref("ContactWrite"), status="201", post=True,
                                extra_errors=[("409", "contact_exists (the email has a contact), user_id_taken, or Idempotency-Key reused")]),
                     "put": op("Update the contact with this email (or userId), or create it (publishes contact.*)", "Saved", ref("Saved"), ref("ContactWrite"),
                               extra_errors=[("409", "contact_exists (moving to a taken email), email_follows_stripe")])},
    "/v1/contacts/{id}": {"get": op("A contact", "The contact", ref("Contact"), params=[pid()]),
                          "delete": op("Delete a contact (publishes contact.deleted)", "Deleted", ref("ContactDeleted"), params=[pid()])},
    "/v1/contact-events": {"get": op("Trigger events of an email", "A page", page("ContactEvent"),
                                     params=LIST_PARAMS + [{"name": "email", "in": "query", "required": True, "schema": {"type": "string", "pattern": EMAIL, "maxLength": 254}}]),
                           "post": op("Record a trigger event for a contact (created if missing; publishes event.triggered)", "Recorded",
                                      ref("Saved"), ref("ContactEventSend"), post=True)},
    "/v1/email-templates": {"get": op("Email templates", "A page", page("EmailTemplate"), params=LIST_PARAMS),
                            "post": op("Create an email template (it must parse)", "Created", ref("EmailTemplate"), ref("EmailTemplateCreate"), status="201", post=True)},
    "/v1/email-templates/{id}": {"get": op("An email template", "The template", ref("EmailTemplate"), params=[pid()]),
                                 "patch": op("Update an email template (it must still parse)", "The template", ref("EmailTemplate"), ref("EmailTemplateUpdate"), params=[pid()], body_required=False),
                                 "delete": op("Delete an email template", "Deleted", ref("Deleted"), params=[pid()],
                                              extra_errors=[("409", "template_in_use: an active workflow sends it")])},
    "/v1/email-templates/{id}/preview": {"post": op("Render a template with the given (or sample) contact and event properties; nothing is sent",
                                                    "Rendered", ref("Rendered"), ref("TemplatePreview"), params=[pid()], post=True, body_required=False)},
    "/v1/transactional": {"post": op("Send a transactional email (whether or not the contact is subscribed; no unsubscribe header); one per Idempotency-Key",
                                     "Sent, or refused by SES and recorded as failed", ref("TransactionalSent"), ref("TransactionalSend"), post=True,
                                     extra_errors=[("409", "sender_not_configured (no email.fromAddress on the account), or Idempotency-Key reused")])},
    "/v1/emails": {"get": op("Emails sent to an address (email=) or by a workflow (workflowId=), newest first; one of the two is required", "A page", page("SentEmail"),
                             params=LIST_PARAMS + [{"name": "email", "in": "query", "schema": {"type": "string", "pattern": EMAIL, "maxLength": 254}},
                                                   {"name": "workflowId", "in": "query", "schema": {"type": "string", "pattern": ID}}])},
    "/v1/emails/{id}": {"get": op("An email sent", "The email", ref("SentEmail"), params=[pid()])},
    "/v1/workflows": {"get": op("Workflows, newest first", "A page", page("Workflow"), params=LIST_PARAMS),
                      "post": op("Create a workflow (its templates must exist)", "Created", ref("Workflow"), ref("WorkflowCreate"), status="201", post=True,
                                 extra_errors=[("409", "workflow_limit (100 per account), or Idempotency-Key reused")])},
    "/v1/workflows/{id}": {"get": op("A workflow", "The workflow", ref("Workflow"), params=[pid()]),
                           "patch": op("Update a workflow (status paused holds its runs)", "The workflow", ref("Workflow"), ref("WorkflowUpdate"), params=[pid()], body_required=False),
                           "delete": op("Delete a workflow (its runs stop)", "Deleted", ref("Deleted"), params=[pid()])},
    "/v1/workflows/{id}/runs": {"get": op("A workflow's runs, newest first", "A page", page("WorkflowRun"), params=LIST_PARAMS + [])},
    "/v1/items": {"get": op("Catalogue items", "A page", page("Item"), params=LIST_PARAMS)},
    "/v1/items/{id}": {"get": op("A catalogue item", "The item", ref("Item"), params=[pid()])},
    "/v1/transfers": {"get": op("Transfer requests", "A page", page("Transfer"), params=LIST_PARAMS + [q("status", enum=["draft", "open", "finalized", "failed", "processed"])])},
    "/v1/transfers/{id}": {"get": op("A transfer request", "The transfer", ref("Transfer"), params=[pid()])},
    "/v1/agreements": {"get": op("Agreements", "A page", page("Agreement"), params=LIST_PARAMS)},
    "/v1/agreements/{id}": {"get": op("An agreement", "The agreement", ref("Agreement"), params=[pid()])},
}
for action in ["complete", "fail", "expire"]:
    paths[f"/v1/test-helpers/checkout-sessions/{{id}}/{action}"] = {"post": op(f"Test helper: {action} a session", "The session", ref("CheckoutSession"),
                                                                             params=[pid()], test_helper=True, post=True)}
paths["/v1/test-helpers/transfers/{id}/process"] = {"post": op("Test helper: report a transfer's outcome", "The transfer", ref("Transfer"),
                                                               ref("TransferProcess"), params=[pid()], test_helper=True, post=True)}
# The customer's side (payments.md): public, no API key; the session id or pay token is the capability.
PAYMENT_ERRORS = [("400", "Malformed transactionHash, or a payment that pays nothing: payment_not_found, payment_reverted, payment_mismatch, payment_too_old, payment_already_used"),
                  ("404", "No such session or pay token"), ("409", "session_not_open, or verification_unavailable (the account's network is not configured)"),
                  ("429", "More than 10 submissions this minute"), ("503", "The network's RPC or a dependency failed: retry")]

def public(o):
    o["security"] = []
    for code in ["401", "409", "413"]:
        o["responses"].pop(code, None)
    for code, description in PAYMENT_ERRORS:
        o["responses"][code] = {"description": description, "content": {"application/json": {"schema": ref("Error")}}}
    return o

def submit_op(what, settled):
    o = public(op(f"Submit the transaction hash that paid {what}", "Verified now: paid, or failed as underpaid", settled,
                  ref("PaymentSubmission"), params=[pid()]))
    o["responses"]["202"] = {"description": "Not confirmed (or not mined) yet: Loop keeps checking it for an hour",
                             "content": {"application/json": {"schema": ref("PaymentConfirming")}}}
    o["requestBody"]["content"]["application/x-www-form-urlencoded"] = {"schema": ref("PaymentSubmission")}
    return o

paths["/checkout/{id}/payments"] = {"post": submit_op("a checkout session", ref("CheckoutSession"))}
paths["/checkout/{id}/status"] = {"get": public(op("A checkout session's status, for its page", "The status", ref("PaymentStatus"), params=[pid()]))}
paths["/pay/{payToken}/payments"] = {"post": submit_op("a transfer request (its pay token)", ref("TransferPaid"))}
paths["/pay/{payToken}/status"] = {"get": public(op("A transfer request's status, for its page", "The status", ref("PaymentStatus"), params=[pid("payToken")]))}
paths["/pay/{payToken}/payments"]["post"]["parameters"] = [pid("payToken")]
paths["/v1/openapi.json"] = {"get": {"summary": "This document", "security": [], "parameters": [],
                                     "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}}}}

document = {
    "openapi": "3.1.0",
    "info": {"title": "Loop merchant API", "version": "1.0.0",
             "description": "Checkout sessions, payment links, webhook endpoints, what Stripe ingest keeps, contacts and events, email templates, workflows and transactional email. Errors: {error: {type, code, message, param?}}; every response carries Request-Id."},
    "servers": [{"url": "/"}],
    "security": [{"apiKey": []}],
    "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "lk_test_… or lk_live_…"}},
                   "schemas": schemas},
    "paths": paths,
}
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(root, "openapi.json"), "w") as f:
    json.dump(document, f, indent=2, sort_keys=False)
    f.write("\n")
print(f"{len(paths)} paths")
