// Take a payment: a payment link, a checkout session for it, and the URL to send the customer to.
// Then page through every contact. Run against `make dev`: LOOP_URL=http://127.0.0.1:3000.

import { Loop, LoopError, type CheckoutSession } from "@loop/sdk";

const loop = new Loop({
  apiKey: process.env.LOOP_API_KEY ?? "",
  baseUrl: process.env.LOOP_URL ?? "http://127.0.0.1:3000",
});

export async function checkout(customerId: string, orderId: string): Promise<string | undefined> {
  const link = await loop.paymentLinks.create({ name: "Pro plan", amount: "10.00", currency: "USDC" });
  const session: CheckoutSession = await loop.checkoutSessions.create(
    { paymentLinkId: link.id ?? "", externalCustomerId: customerId, metadata: { orderId } },
    { idempotencyKey: `order-${orderId}` },
  );
  return session.url;
}

export async function subscribedEmails(): Promise<string[]> {
  const emails: string[] = [];
  for await (const contact of loop.contacts.list({ limit: 100 })) {
    if (contact.subscribed && contact.email) emails.push(contact.email);
  }
  return emails;
}

export async function findContact(email: string) {
  const { data } = await loop.contacts.list({ email }).page();
  return data[0];
}

export async function sessionOrNull(id: string): Promise<CheckoutSession | null> {
  try {
    return await loop.checkoutSessions.retrieve(id);
  } catch (error) {
    if (error instanceof LoopError && error.status === 404) return null;
    throw error;
  }
}
