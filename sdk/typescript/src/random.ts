// Random ids for idempotency keys and jitter's randomness, with whatever the runtime has: Web
// Crypto everywhere it exists (Node 19+, Deno, Bun, browsers, edge runtimes), a weaker source on
// Node 18 without the global `crypto`, where keys only need to be unique per call.

export function randomId(): string {
  const webCrypto = (globalThis as { crypto?: Crypto }).crypto;
  if (webCrypto?.randomUUID) return webCrypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (webCrypto?.getRandomValues) webCrypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
