// Register an endpoint for some events and keep its secret (shown only at creation).

import { Loop, type WebhookEventType } from "@loop/sdk";

export async function register(loop: Loop, url: string): Promise<string> {
  const events: WebhookEventType[] = ["checkout.session.completed", "contact.created", "TransferProcessed"];
  const endpoint = await loop.webhookEndpoints.create({ url, events, description: "orders" });
  if (!endpoint.secret) throw new Error("no secret in the answer");
  return endpoint.secret;
}

export async function failedDeliveries(loop: Loop): Promise<number> {
  let failed = 0;
  for await (const event of loop.events.list({ type: "checkout.session.completed" })) {
    const detail = await loop.events.retrieve(event.id ?? "");
    failed += (detail.endpoints ?? []).filter((d) => d.status === "failed").length;
  }
  return failed;
}
