// Screenshots of the dashboard's main pages for the README, in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), from a running stack:
//
//   node tests/browser/screenshots.mjs '{"link", "out", "pages": [{"path", "name"}]}'
//
// It signs in with the one-time link, opens each page and saves `<out>/<name>.png` (1280 wide,
// the whole page). `tests/tests/dashboard_browser.rs` (`readme_screenshots`, ignored by default)
// populates a stack and runs it. The answer is one JSON line: `{"ok": true, "files"}` or
// `{"ok": false, "error"}` with exit status 1.

import { args, launch, main } from './harness.mjs';

async function run() {
  const browser = await launch();
  try {
    const origin = new URL(args.link).origin;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(args.link);
    await page.click('#continue');
    await page.waitForURL(`${origin}/dashboard`);
    const files = [];
    for (const { path, name } of args.pages) {
      await page.goto(`${origin}${path}`);
      // A frame (the template preview) is painted only within the viewport: make the viewport
      // the whole page, once the frame has drawn.
      for (const frame of await page.$$('iframe')) {
        await (await frame.contentFrame())?.waitForSelector('body *', { state: 'visible' });
      }
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1280, height: Math.max(800, height) });
      const file = `${args.out}/${name}.png`;
      await page.screenshot({ path: file, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      files.push(file);
    }
    return { ok: true, files };
  } finally {
    await browser.close();
  }
}

await main(run);
