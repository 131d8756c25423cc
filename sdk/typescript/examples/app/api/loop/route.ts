// A Next.js (App Router) route handler receiving Loop's webhooks: `app/api/loop/route.ts`.
// Only Web `Request`/`Response` are used, so it runs in the Node and the Edge runtimes.

import { Webhook, WebhookVerificationError } from "@loop/sdk";

declare const process: { env: Record<string, string | undefined> };

const webhook = new Webhook(process.env.LOOP_WEBHOOK_SECRET ?? "");

export async function POST(req: Request): Promise<Response> {
  // The raw body, exactly as received: the signature covers these bytes.
  const body = await req.text();
  let event;
  try {
    event = webhook.verify(body, req.headers);
  } catch (error) {
    if (error instanceof WebhookVerificationError) return new Response("bad signature", { status: 400 });
    throw error;
  }

  if ("type" in event) {
    switch (event.type) {
      case "checkout.session.completed":
        await fulfil(event.data.metadata?.orderId, event.data.id);
        break;
      case "contact.created":
        console.log("new contact", event.data.email);
        break;
    }
  } else if (event.event === "TransferProcessed" && !event.success) {
    console.log("transfer failed", event.transferId, event.reason);
  }
  // Answer 2xx quickly: anything else is retried (the same event id each time: deduplicate on it).
  return new Response(null, { status: 204 });
}

async function fulfil(orderId: string | undefined, sessionId: string | undefined): Promise<void> {
  console.log("fulfil", orderId, sessionId);
}
