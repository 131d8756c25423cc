// Screenshots of the dashboard's main pages for the README, in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), from a running stack:
//
//   node tests/browser/screenshots.mjs '{"link", "out", "pages": [{"path", "name"}]}'
//
// It signs in with the one-time link, opens each page and saves `<out>/<name>.png` (1280 wide,
// the whole page). `tests/tests/dashboard_browser.rs` (`readme_screenshots`, ignored by default)
// populates a stack and runs it. The answer is one JSON line: `{"ok": true, "files"}` or
// `{"ok": false, "error"}` with exit status 1.

import { chromium } from 'playwright-core';

const args = JSON.parse(process.argv[2] ?? '{}');
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

async function run() {
  const browser = await chromium.launch({
    executablePath: args.chromium ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const origin = new URL(args.link).origin;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(args.link);
    await page.click('#continue');
    await page.waitForURL(`${origin}/dashboard`);
    const files = [];
    for (const { path, name } of args.pages) {
      await page.goto(`${origin}${path}`);
      const file = `${args.out}/${name}.png`;
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    }
    return { ok: true, files };
  } finally {
    await browser.close();
  }
}

try {
  say(await run());
} catch (e) {
  say({ ok: false, error: e.message });
  process.exit(1);
}
