// Drives the hosted payment page in headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core: no browser is downloaded) for tests/tests/pay_page_browser.rs.
//
//   node tests/browser/pay-page.mjs '<json>'
//
// The argument is {"scenario", "url", …}; the answer is one JSON line on stdout (the last line),
// `{"ok": true, …}` or `{"ok": false, "error"}` with exit status 1. Scenarios that wait for the
// test to act first print `{"event": "ready"}` on a line of its own.
//
// Scenarios:
//   inspect  — load the page (JavaScript on or off) and report what it shows;
//   qr       — screenshot #qr and decode the QR code in it (jsQR over pngjs's pixels);
//   paste    — with JavaScript off, paste `hash` into the form and submit it (a real form post);
//   poll     — load the page, say ready, and wait (no reload) until it shows `until`;
//   typed    — with JavaScript on, paste `hash` into the form and submit it (the script posts it
//              as JSON): wait (no reload) until the page is paid;
//   wallet   — inject an EIP-1193 provider whose requests go to the chain at `rpcUrl` from the
//              unlocked account `account`, click "Pay with wallet", wait until the page is paid.
//
// Every scenario also reports the page's Content-Security-Policy violations and console errors,
// and a browser that cannot start is an error (the test fails; it never skips).

import { PNG } from 'pngjs';
import jsQR from 'jsqr';

import { TIMEOUT_MS, args, launch, say, watchdog } from './harness.mjs';

// Never hang a test run.
watchdog(`the ${args.scenario} scenario`);

// Records CSP violations where the page's own code cannot see them (runs before any script).
const WATCH = () => {
  window.__loop = { violations: [], marker: null };
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__loop.violations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
};

// What the page shows now.
async function snapshot(page) {
  const text = async (selector) => {
    const el = await page.$(selector);
    return el ? (await el.textContent()).trim() : null;
  };
  const visible = async (selector) => {
    const el = await page.$(selector);
    return el ? el.isVisible() : false;
  };
  const status = await page.$('#status');
  return {
    url: page.url(),
    title: await page.title(),
    status: status ? await status.getAttribute('data-status') : null,
    statusText: await text('#status'),
    amount: await text('#amount'),
    merchant: await text('#merchant'),
    item: await text('#item'),
    paymentTx: await text('#payment-tx'),
    notice: await text('#notice'),
    noticeVisible: await visible('#notice'),
    offers: {
      qr: (await page.$('#qr')) !== null,
      form: (await page.$('#tx-form')) !== null,
      walletButton: await visible('#pay-with-wallet'),
      paymentOptions: await visible('#pay-options'),
    },
    verificationUnavailable: await text('#verification-unavailable'),
    treasury: await text('#treasury'),
    tokenAddress: await text('#token-address'),
    html: await page.content(),
  };
}

async function withPage({ javaScriptEnabled = true, deviceScaleFactor = 1 }, run) {
  const browser = await launch();
  try {
    const context = await browser.newContext({ javaScriptEnabled, deviceScaleFactor });
    context.setDefaultTimeout(TIMEOUT_MS);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    let navigations = 0;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });
    await page.addInitScript(WATCH);
    const result = await run(page);
    const violations = javaScriptEnabled ? await page.evaluate(() => window.__loop.violations) : [];
    return { ...result, navigations, consoleErrors, cspViolations: violations };
  } finally {
    await browser.close();
  }
}

// Waits for `selector`; on a timeout, says what the page shows instead.
async function waitFor(page, selector, extra = {}) {
  try {
    await page.waitForSelector(selector, { timeout: TIMEOUT_MS });
  } catch (e) {
    const now = await snapshot(page).catch(() => ({}));
    delete now.html;
    throw new Error(`${e.message.split('\n')[0]}; the page shows ${JSON.stringify({ ...now, ...extra })}`);
  }
}

// Loads the page and marks the document, so that a reload (which would lose the mark) shows.
async function open(page, url) {
  const response = await page.goto(url);
  if (!response) throw new Error(`no response from ${url}`);
  return { httpStatus: response.status(), csp: response.headers()['content-security-policy'] ?? null };
}

const markDocument = (page) => page.evaluate(() => { window.__loop.marker = 'same document'; });
const documentMark = (page) => page.evaluate(() => window.__loop.marker);

const scenarios = {
  async inspect() {
    return withPage({ javaScriptEnabled: args.javaScript !== false }, async (page) => {
      const loaded = await open(page, args.url);
      return { ...loaded, page: await snapshot(page) };
    });
  },

  async qr() {
    return withPage({ deviceScaleFactor: 2 }, async (page) => {
      await open(page, args.url);
      const qr = page.locator('#qr');
      const payload = await qr.getAttribute('data-eip681');
      const png = PNG.sync.read(await qr.screenshot());
      const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
      return {
        dataEip681: payload,
        walletLink: await page.locator('#open-in-wallet').getAttribute('href'),
        image: { width: png.width, height: png.height },
        decoded: code ? code.data : null,
      };
    });
  },

  async paste() {
    return withPage({ javaScriptEnabled: false }, async (page) => {
      await open(page, args.url);
      const before = await snapshot(page);
      await page.fill('#tx-hash', args.hash);
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.click('#tx-form button[type=submit]'),
      ]);
      // The form's own request (the first of a redirect chain: the route may answer with the
      // page itself, or send the browser back to it).
      let submission = response ? response.request() : null;
      while (submission && submission.redirectedFrom()) submission = submission.redirectedFrom();
      return {
        before: { status: before.status, offers: before.offers },
        method: submission ? submission.method() : null,
        postedTo: submission ? new URL(submission.url()).pathname : null,
        contentType: submission ? submission.headers()['content-type'] : null,
        redirected: submission !== (response ? response.request() : null),
        landedOn: new URL(page.url()).pathname,
        pageStatus: response ? response.status() : null,
        page: await snapshot(page),
      };
    });
  },

  async poll() {
    return withPage({}, async (page) => {
      await open(page, args.url);
      await markDocument(page);
      const before = (await snapshot(page)).status;
      say({ event: 'ready' });
      await waitFor(page, `#status[data-status="${args.until ?? 'paid'}"]`);
      return { before, mark: await documentMark(page), page: await snapshot(page) };
    });
  },

  async typed() {
    return withPage({}, async (page) => {
      await open(page, args.url);
      await markDocument(page);
      await page.fill('#tx-hash', args.hash);
      await page.click('#tx-form button[type=submit]');
      await waitFor(page, '#status[data-status="paid"]');
      return { mark: await documentMark(page), page: await snapshot(page) };
    });
  },

  async wallet() {
    const calls = [];
    const rpc = async (method, params) => {
      const res = await fetch(args.rpcUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: calls.length, method, params }),
      });
      const body = await res.json();
      if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
      return body.result;
    };
    // The wallet: anvil's unlocked account signs; the page talks to it through a binding (its
    // own connect-src allows only the page's origin, as a real extension's provider would not need).
    const handle = async (request) => {
      const { method, params = [] } = JSON.parse(request);
      calls.push({ method, params });
      try {
        switch (method) {
          case 'eth_requestAccounts':
          case 'eth_accounts':
            return { result: [args.account] };
          case 'wallet_switchEthereumChain': {
            const chainId = await rpc('eth_chainId', []);
            if (params[0]?.chainId?.toLowerCase() !== chainId.toLowerCase()) {
              return { error: { code: 4902, message: `unrecognized chain ${params[0]?.chainId}` } };
            }
            return { result: null };
          }
          case 'eth_sendTransaction': {
            const [tx] = params;
            if (tx.from.toLowerCase() !== args.account.toLowerCase()) {
              return { error: { code: 4100, message: 'not an account of this wallet' } };
            }
            return { result: await rpc('eth_sendTransaction', [tx]) };
          }
          default:
            return { result: await rpc(method, params) };
        }
      } catch (e) {
        return { error: { code: e.code ?? -32603, message: e.message } };
      }
    };
    return withPage({}, async (page) => {
      await page.exposeFunction('__loopWallet', async (request) => JSON.stringify(await handle(request)));
      await page.addInitScript(() => {
        const listeners = {};
        window.ethereum = {
          isLoopTestWallet: true,
          async request({ method, params }) {
            const answer = JSON.parse(await window.__loopWallet(JSON.stringify({ method, params })));
            if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
            return answer.result;
          },
          on(event, fn) { (listeners[event] ??= []).push(fn); },
          removeListener(event, fn) { listeners[event] = (listeners[event] ?? []).filter((f) => f !== fn); },
        };
      });
      await open(page, args.url);
      await markDocument(page);
      const before = await snapshot(page);
      await page.click('#pay-with-wallet');
      await waitFor(page, '#status[data-status="paid"]', { calls });
      return {
        before: { status: before.status, walletButton: before.offers.walletButton },
        mark: await documentMark(page),
        calls,
        page: await snapshot(page),
      };
    });
  },
};

try {
  const run = scenarios[args.scenario];
  if (!run) throw new Error(`no scenario ${JSON.stringify(args.scenario)}: one of ${Object.keys(scenarios).join(', ')}`);
  say({ ok: true, ...(await run()) });
  process.exit(0);
} catch (e) {
  say({ ok: false, error: e.stack ?? String(e) });
  process.exit(1);
}
