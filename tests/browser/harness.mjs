// What every browser scenario of the Rust tests shares: its arguments (one JSON object in
// argv[2]), its answer (one JSON line on stdout), a watchdog so that no test run hangs, and
// Chromium started headless from `args.chromium` — a Chromium that cannot start is an error
// (the test fails, it never skips).

import { chromium } from 'playwright-core';

export const TIMEOUT_MS = 30_000;
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const args = JSON.parse(process.argv[2] ?? '{}');
export const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

/// Ends the process with an error if `what` takes more than three page timeouts.
export function watchdog(what) {
  setTimeout(() => {
    say({ ok: false, error: `${what} took more than ${(TIMEOUT_MS * 3) / 1000} s` });
    process.exit(1);
  }, TIMEOUT_MS * 3).unref();
}

export async function launch() {
  try {
    return await chromium.launch({ executablePath: args.chromium ?? '/usr/bin/chromium', headless: true, args: FLAGS });
  } catch (e) {
    throw new Error(`Chromium did not start: ${e.message}`);
  }
}

/// Says what `run` answers, or the error it threw (and exits with 1).
export async function main(run) {
  try {
    say(await run());
  } catch (e) {
    say({ ok: false, error: e.stack ?? String(e) });
    process.exit(1);
  }
}
