// The hosted payment page's only script (inline, under this response's nonce). Progressive:
// without it the page still shows the payment request and the hash form posts normally.
//  - live status: polls data-status-path every 2.5 s while open or confirming;
//  - the hash form submits as JSON without a reload;
//  - "Pay with wallet" where an EIP-1193 wallet is present (window.ethereum);
//  - copy buttons where the clipboard is available.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const page = $('page');
  const statusEl = $('status');
  const noticeEl = $('notice');
  const pay = $('pay');
  const options = $('pay-options');
  const form = $('tx-form');
  const input = $('tx-hash');
  const walletButton = $('pay-with-wallet');
  const POLL_MS = 2500;
  const TEXT = { open: 'Awaiting payment', confirming: 'Confirming', paid: 'Paid', failed: 'Failed', expired: 'Expired' };
  const HASH = /^0x[0-9a-fA-F]{64}$/;

  let current = statusEl.dataset.status;
  // A transaction this page submitted and the server took (202): shown as confirming until the
  // server says how it ended.
  let submitted = current === 'confirming';
  let timer = null;

  // The status route's words (a session's or a transfer's) in the page's.
  const pageStatus = (s) => {
    switch (s) {
      case 'completed': case 'paid': case 'processed': case 'succeeded': return 'paid';
      case 'failed': return 'failed';
      case 'expired': case 'canceled': case 'cancelled': return 'expired';
      case 'confirming': return 'confirming';
      default: return 'open';
    }
  };
  const live = (s) => s === 'open' || s === 'confirming';

  const notice = (kind, text) => {
    noticeEl.textContent = text;
    noticeEl.className = 'notice ' + (kind === 'error' ? 'error' : 'info');
    noticeEl.dataset.kind = kind;
    noticeEl.hidden = !text;
  };

  const show = (status, payment, reason) => {
    if (status === 'open' && submitted) status = 'confirming';
    current = status;
    statusEl.dataset.status = status;
    statusEl.textContent = status === 'failed' && reason ? `Failed (${reason})` : TEXT[status];
    if (payment && payment.transactionHash) {
      $('payment-tx').textContent = payment.transactionHash;
      $('payment').hidden = false;
    }
    if (options) options.hidden = status !== 'open';
    if (!live(status)) {
      // A finished payment offers no payment.
      if (pay) pay.remove();
      const unavailable = $('verification-unavailable');
      if (unavailable) unavailable.remove();
      if (status === 'paid' && noticeEl.dataset.kind !== 'error') notice('paid', 'Payment received. Thank you!');
      stop();
    }
  };

  const fromBody = (body) => show(pageStatus(body.status), body.payment, body.failureReason);

  const poll = async () => {
    timer = null;
    try {
      const res = await fetch(page.dataset.statusPath, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (res.ok) fromBody(await res.json());
    } catch (_) {
      // A network blip: try again at the next tick.
    }
    schedule();
  };
  const schedule = () => {
    if (live(current) && timer === null) timer = setTimeout(poll, POLL_MS);
  };
  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const pollNow = () => {
    stop();
    poll();
  };

  // POSTs a hash as JSON and shows the answer.
  const submit = async (hash) => {
    if (!pay) return;
    notice('info', 'Checking the transaction…');
    let res;
    try {
      res = await fetch(pay.dataset.submit, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ transactionHash: hash }),
      });
    } catch (e) {
      if (input) input.value = hash;
      notice('error', 'Could not reach the server. Your transaction is safe: submit its hash again in a moment.');
      return;
    }
    let body = {};
    try { body = await res.json(); } catch (_) { /* an empty or non-JSON body */ }
    if (res.status === 200) {
      notice('', '');
      fromBody(body);
    } else if (res.status === 202) {
      submitted = true;
      show('confirming');
      notice('confirming', 'Transaction received: waiting for its confirmations. This page updates when it is confirmed.');
    } else {
      const err = body.error || {};
      if (input) input.value = hash;
      const code = err.code ? ` (${err.code})` : '';
      notice('error', `The transaction was not accepted: ${err.message || 'status ' + res.status}${code}`);
    }
    pollNow();
  };

  if (form && input) {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const hash = input.value.trim();
      if (!HASH.test(hash)) {
        notice('error', 'A transaction hash is 0x followed by 64 hexadecimal characters.');
        return;
      }
      submit(hash);
    });
  }

  // 32-byte ABI words of transfer(address,uint256).
  const word = (hex) => hex.replace(/^0x/, '').toLowerCase().padStart(64, '0');

  const eth = window.ethereum;
  if (walletButton && pay && eth && typeof eth.request === 'function') {
    walletButton.hidden = false;
    walletButton.addEventListener('click', async () => {
      const d = pay.dataset;
      const chainId = '0x' + BigInt(d.chainId).toString(16);
      walletButton.disabled = true;
      try {
        notice('info', 'Confirm the request in your wallet…');
        const accounts = await eth.request({ method: 'eth_requestAccounts' });
        const from = accounts && accounts[0];
        if (!from) throw new Error('the wallet shared no account');
        try {
          await eth.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] });
        } catch (e) {
          if (e && e.code === 4902) throw new Error(`add the network ${d.network} (chain id ${d.chainId}) to your wallet, then try again`);
          throw e;
        }
        const data = '0xa9059cbb' + word(d.treasury) + word(BigInt(d.amount).toString(16));
        notice('info', 'Confirm the payment in your wallet…');
        const hash = await eth.request({ method: 'eth_sendTransaction', params: [{ from, to: d.token, data, value: '0x0' }] });
        if (input) input.value = hash;
        await submit(hash);
      } catch (e) {
        const rejected = e && e.code === 4001;
        notice('error', rejected ? 'The request was rejected in the wallet.' : `The wallet did not pay: ${(e && e.message) || e}`);
      } finally {
        walletButton.disabled = false;
      }
    });
  }

  if (navigator.clipboard) {
    for (const button of document.querySelectorAll('button[data-copy]')) {
      button.hidden = false;
      button.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText($(button.dataset.copy).textContent.trim());
          button.textContent = 'Copied';
        } catch (_) {
          button.textContent = 'Select and copy';
        }
        setTimeout(() => { button.textContent = 'Copy'; }, 2000);
      });
    }
  }

  schedule();
})();
