// Drives the merchant dashboard in headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core: no browser is downloaded) for tests/tests/dashboard_browser.rs.
//
//   node tests/browser/dashboard.mjs '{"link", "endpointUrl", "email", "userGroup"}'
//
// It signs in with the one-time link; sets the user group that customer.created gives, on the
// Stripe page; creates a webhook endpoint and copies its secret (the copy button, read back from
// the clipboard); prints {"event": "endpoint", "secret"} and waits (reloading) for the test's
// Stripe event to show: the contact on Audience (also found by searching its email, and opened:
// its trigger events), the event on Events with its delivery succeeded; redelivers it and waits
// for the second attempt; creates a payment link and opens a checkout session's hosted page from
// it; sends the endpoint a test event and sees it delivered and counted in its success rate;
// opens Transfers (empty); on Email creates a template, previews it in its editor, and creates
// and pauses a workflow that sends it; makes an API key on Settings, copies it, calls the API with it,
// revokes it and calls again; signs out and checks that the dashboard is closed. The answer is one JSON line on stdout
// (the last), `{"ok": true, …}` or `{"ok": false, "error"}` with exit status 1, with the pages'
// Content-Security-Policy violations and console errors. A browser that
// cannot start is an error: the test fails, it never skips.

import { TIMEOUT_MS, args, launch, main, say, watchdog } from './harness.mjs';

watchdog('the dashboard scenario');

const WATCH = () => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
};

// Reloads until `check` says yes (at most TIMEOUT_MS).
async function until(page, what, check) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} at ${page.url()}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

async function run() {
  const browser = await launch();
  const steps = [];
  const violations = [];
  const consoleErrors = [];
  try {
    const origin = new URL(args.link).origin;
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    context.setDefaultTimeout(TIMEOUT_MS);
    const page = await context.newPage();
    await page.addInitScript(WATCH);
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    const collect = async () => violations.push(...(await page.evaluate(() => window.__violations ?? [])));

    // Sign in with the link.
    await page.goto(args.link);
    await page.click('#continue');
    await page.waitForURL(`${origin}/dashboard`);
    const testBadge = await page.isVisible('#test-mode');
    const chart = (await page.$('#chart')) !== null;
    steps.push('signed in');
    await collect();

    // A Stripe event setting: the user group customer.created gives a contact.
    await page.click('a[href="/dashboard/stripe"]');
    await page.fill('input[name="userGroup.customer.created"]', args.userGroup);
    await page.click('#save-stripe');
    await page.waitForSelector('#saved');
    const savedGroup = await page.inputValue('input[name="userGroup.customer.created"]');
    steps.push('stripe setting saved');
    await collect();

    // Create an endpoint; copy its secret.
    await page.click('a[href="/dashboard/webhooks"]');
    await page.fill('#url', args.endpointUrl);
    await page.fill('#description', 'From the browser test');
    await page.click('#create-endpoint button[type=submit]');
    const shown = (await page.textContent('#new-secret')).trim();
    await page.click('button[data-copy="new-secret"]');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const listed = (await page.$$('#endpoints tbody tr')).length;
    steps.push('endpoint created');
    await collect();
    say({ event: 'endpoint', secret: copied });

    // The contact on Audience, and by search.
    await page.click('a[href="/dashboard/audience"]');
    await until(page, 'the contact', async () => (await page.$$eval('td.email', (cells) => cells.map((c) => c.textContent.trim()))).includes(args.email));
    await page.fill('#email', args.email);
    await page.click('#search button[type=submit]');
    const found = await page.$$eval('td.email', (cells) => cells.map((c) => c.textContent.trim()));
    const group = await page.$eval('td.group', (cell) => cell.textContent.trim());
    await page.click('td.email a');
    await page.waitForSelector('#contact');
    const triggers = await page.$$eval('td.trigger', (cells) => cells.map((c) => c.textContent.trim()));
    steps.push('contact seen');
    await collect();

    // The event and its delivery on Events; redeliver.
    await page.click('a[href="/dashboard/events"]');
    await page.selectOption('#type', 'contact.created');
    await page.click('#filter button[type=submit]');
    await until(page, 'the event', async () => (await page.$('#events tbody a')) !== null);
    await page.click('#events tbody a');
    const eventUrl = page.url();
    const status = () => page.$eval('.delivery-status', (el) => el.textContent.trim()).catch(() => null);
    await until(page, 'the delivery', async () => (await status()) === 'succeeded');
    const firstAttempts = (await page.$$('.attempts tbody tr')).length;
    await page.click('#redeliver');
    await page.waitForSelector('#redelivered');
    const redelivered = (await page.textContent('#redelivered')).trim();
    await until(page, 'the second attempt', async () => (await page.$$('.attempts tbody tr')).length >= 2);
    const attempts = (await page.$$('.attempts tbody tr')).length;
    steps.push('redelivered');
    await collect();

    // A test event from the Webhooks page: it lands on its event's page, delivered; the
    // endpoint's success rate counts it.
    await page.click('a[href="/dashboard/webhooks"]');
    await Promise.all([page.waitForURL(/\/dashboard\/events\/evt_/), page.click('form.send-test button')]);
    const testEvent = (await page.textContent('h1')).trim();
    await until(page, 'the test delivery', async () => (await status()) === 'succeeded');
    await page.click('a[href="/dashboard/webhooks"]');
    const successRate = (await page.textContent('#endpoints td.success')).trim();
    steps.push('test event sent');
    await collect();

    // A payment link, and a checkout session opened from it on its hosted page.
    await page.click('a[href="/dashboard/payments"]');
    await page.fill('#name', 'Gold plan');
    await page.fill('#amount', '10.00');
    await page.click('#create-link button[type=submit]');
    await page.waitForSelector('#links tbody tr');
    const linkName = (await page.textContent('#links tbody td')).trim();
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('#links button.open-session')]);
    if (!/\/checkout\/cs_/.test(page.url())) {
      throw new Error(`no checkout page but ${page.url()}: ${(await page.textContent('main')).trim()}`);
    }
    const sessionPage = new URL(page.url()).pathname;
    await page.goto(`${origin}/dashboard/payments`);
    const sessionRows = (await page.$$('#sessions tbody tr')).length;
    steps.push('payment link and session');
    await collect();

    // Transfers: none yet, and the page says where they come from.
    await page.click('a[href="/dashboard/transfers"]');
    const transfersEmpty = (await page.textContent('#no-transfers')).includes('Stripe invoice');
    steps.push('transfers');
    await collect();

    // Email: a template from the example the empty page offers, its editor's preview (the HTML
    // part in a sandboxed frame under the page's policy), and a workflow that sends it, paused.
    await page.click('a[href="/dashboard/email"]');
    await page.fill('#template-name', 'Welcome');
    await page.click('#create-template button[type=submit]');
    await page.waitForSelector('#templates tbody tr');
    await page.click('#templates td.name a');
    await page.waitForSelector('#edit-template');
    const templateId = (await page.textContent('h1 code')).trim();
    await page.fill('#event-properties', '{"plan": "Gold"}');
    await page.click('#preview button[type=submit]');
    await page.waitForSelector('#preview-subject');
    const previewSubject = (await page.textContent('#preview-subject')).trim();
    const frame = page.frameLocator('#preview-html');
    const previewFrame = (await frame.locator('body').textContent()).trim();
    // The email's inline style applies in its frame (a srcdoc frame would inherit the page's policy).
    const previewStyled = await frame.locator('p').last().evaluate((p) => getComputedStyle(p).color);
    // Typing in the editor previews the unsaved draft in the frame (script.js, after a pause).
    await page.fill('#template-html', '<p id="live">Live draft for {{ event.plan }}</p>');
    await frame.locator('#live').waitFor();
    const livePreview = (await frame.locator('#live').textContent()).trim();
    await page.click('a[href="/dashboard/email"]');
    await page.fill('#workflow-name', 'Onboarding');
    await page.fill('#event-name', 'signup');
    await page.fill('#steps', `wait 3600\nemail ${templateId}`);
    await page.click('#create-workflow button[type=submit]');
    await page.waitForSelector('#workflows tbody tr');
    const workflowSteps = (await page.textContent('#workflows td.steps')).trim();
    await page.click('#workflows button.pause');
    await page.waitForSelector('#done');
    const workflowStatus = (await page.textContent('#workflows .wf-status')).trim();
    steps.push('email template, preview and workflow');
    await collect();

    // An API key on Settings: shown once (and copied), it opens the API; revoked, it does not.
    const apiStatus = async (key) =>
      (await fetch(`${origin}/v1/account`, { headers: { authorization: `Bearer ${key}` } })).status;
    await page.click('a[href="/dashboard/settings"]');
    await page.click('#create-key button[type=submit]');
    const newKey = (await page.textContent('#new-key')).trim();
    await page.click('button[data-copy="new-key"]');
    const keyCopied = (await page.evaluate(() => navigator.clipboard.readText())) === newKey;
    const keyId = (await page.textContent('#new-key-card h2 code')).trim();
    const keyBeforeRevoke = await apiStatus(newKey);
    await page.click(`#keys tr[data-id="${keyId}"] form.revoke button`);
    await page.waitForSelector('#revoked');
    const keyAfterRevoke = await apiStatus(newKey);
    const keyMode = newKey.startsWith('lk_test_') ? 'test' : 'live';
    steps.push('api key made and revoked');
    await collect();

    // Sign out: the dashboard is closed to this browser.
    await page.click('#sign-out');
    await page.waitForURL(`${origin}/dashboard/login`);
    await page.goto(eventUrl);
    const afterSignOut = new URL(page.url()).pathname;
    steps.push('signed out');
    await collect();

    return { ok: true, steps, templateId, previewSubject, previewFrame, previewStyled, livePreview, workflowSteps, workflowStatus, testEvent, successRate, transfersEmpty, keyCopied, keyMode, keyBeforeRevoke, keyAfterRevoke, triggers, linkName, sessionPage, sessionRows, savedGroup, group, testBadge, chart, shown, copied, listed, found, firstAttempts, redelivered, attempts, afterSignOut, cspViolations: violations, consoleErrors };
  } finally {
    await browser.close();
  }
}

await main(run);
