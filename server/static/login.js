// Tigr login page: countdown, QR renewal, live state through server-sent events (long-poll
// fallback), completion into a session without any user action, and the offline form.
//
// States shown (data-state on #login): pending, scanned, approved, denied, expired,
// blocked, unreachable, busy (too many live connections from this address: retried), error.
// Each change of state is announced in the aria-live region (the way back from unreachable
// or busy too; an automatic QR renewal is not: nothing changed for the reader) and
// dispatched as a `tigr:state` event on document (detail: {state, challenge}).
(() => {
  'use strict';

  const root = document.getElementById('login');
  if (!root) return;
  const byId = (id) => document.getElementById(id);

  const csrf = root.dataset.csrf;
  const returnTo = root.dataset.return || '';
  const maxRenewals = Number(root.dataset.maxRenewals || 10);
  const live = byId('live-part');
  const qrArea = byId('qr-area');
  const qrButton = byId('qr-button');
  // The button's accessible name holds its visible badge once scanned (WCAG 2.5.3).
  const qrLabel = qrButton.getAttribute('aria-label');
  const scannedBadge = qrButton.querySelector('.qr-scanned-badge');
  const qrImage = byId('qr-image');
  const form = byId('offline-form');
  const formChallenge = byId('offline-challenge');
  const tigrId = byId('tigr-id');
  const otp = byId('otp');
  const formError = byId('offline-error');
  const submit = byId('offline-submit');
  const backToQr = byId('back-to-qr');
  const countdown = byId('countdown');
  const countdownBar = byId('countdown-bar');
  const announcer = byId('announce');
  const demoPayload = byId('demo-payload');

  let challenge = root.dataset.challenge;
  let expiresAt = Number(root.dataset.expires);
  let ttl = Number(root.dataset.ttl);
  let skewMs = Number(root.dataset.now) * 1000 - Date.now();
  let mode = root.dataset.mode === 'offline' ? 'offline' : 'qr';
  let state = 'pending';
  let generation = 0;        // bumped for each new challenge: late news of old ones are ignored
  let source = null;         // EventSource
  let renewals = 0;
  let renewTimer = null;
  let renewing = false;
  let completing = false;
  let offlineInFlight = false;

  const FINAL = new Set(['approved', 'denied', 'expired', 'blocked', 'error']);
  // How long the approval stays on screen before the session page: time for a screen
  // reader to speak it.
  const APPROVED_SHOWN_MS = 2000;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const serverNowMs = () => Date.now() + skewMs;

  function announce(text) {
    // Clear first so that the same text is announced again.
    announcer.textContent = '';
    setTimeout(() => { announcer.textContent = text; }, 60);
  }

  function panelText(panel) {
    return Array.from(panel.querySelectorAll('h2, p'))
      .map((e) => e.textContent.trim())
      .filter(Boolean)
      .join(' ');
  }

  function show(next, message) {
    const previous = state;
    state = next;
    root.dataset.state = next;
    const active = next === 'pending' || next === 'scanned' || next === 'unreachable'
      || next === 'busy';
    live.hidden = !active;
    qrArea.hidden = !active || mode !== 'qr';
    form.hidden = !active || mode !== 'offline';
    byId('instructions').hidden = mode === 'offline';
    qrButton.setAttribute('aria-label', next === 'scanned' && scannedBadge
      ? `${scannedBadge.textContent.trim()}. ${qrLabel}` : qrLabel);
    let panel = null;
    for (const p of root.querySelectorAll('.state-panel')) {
      const on = p.dataset.for === next && next !== 'pending';
      p.hidden = !on;
      if (on) panel = p;
    }
    if (next === 'error' && message) byId('error-text').textContent = message;
    if (next === 'busy' && message) byId('busy-text').textContent = message;
    const back = (previous === 'unreachable' || previous === 'busy')
      && (next === 'pending' || next === 'scanned');
    if (back) announce(byId('reconnected-text').textContent);
    if (panel && previous !== next) {
      announce(panelText(panel));
      if (FINAL.has(next) && next !== 'approved') {
        const heading = panel.querySelector('h2');
        if (heading) heading.focus();
      }
    }
    document.dispatchEvent(new CustomEvent('tigr:state', { detail: { state: next, challenge } }));
  }

  // ---- countdown and renewal ------------------------------------------------------------

  function secondsLeft() {
    return Math.max(0, Math.ceil((expiresAt * 1000 - serverNowMs()) / 1000));
  }

  function tick() {
    const left = secondsLeft();
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    countdownBar.max = ttl;
    countdownBar.value = Math.min(ttl, left);
    // Local safety net: the server's "expired" event normally comes first.
    if (left === 0 && (state === 'pending' || state === 'scanned')
        && serverNowMs() > expiresAt * 1000 + 2500) {
      onState('expired');
    }
  }

  function renewMarginMs() {
    // Renew shortly before expiry: 10 s for the usual 2 minutes, less for short lifetimes.
    return Math.min(10, Math.max(1, ttl * 0.15)) * 1000;
  }

  function scheduleRenewal() {
    clearTimeout(renewTimer);
    const delay = Math.max(0, expiresAt * 1000 - serverNowMs() - renewMarginMs());
    renewTimer = setTimeout(() => {
      // Never pull the QR from under someone typing a PIN or an offline password.
      if (state === 'pending' && mode === 'qr' && renewals < maxRenewals) renew(false);
    }, delay);
  }

  async function renew(userAsked) {
    if (renewing || completing) return;
    renewing = true;
    try {
      // A page for a service's sign-in request renews its QR for that service.
      const response = await fetch('/login/renew', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'x-csrf-token': csrf },
        body: new URLSearchParams({ authorize: root.dataset.authorize || '' }),
      });
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      if (!response.ok || !data) {
        // A proxy in front of a stopped server: unreachable, retried below.
        if ([502, 503, 504].includes(response.status)) throw new Error('gateway');
        show('error', data && data.message);
        return;
      }
      generation += 1;
      challenge = data.challenge_id;
      root.dataset.challenge = challenge;
      expiresAt = data.expires_at;
      ttl = data.ttl;
      skewMs = data.now * 1000 - Date.now();
      const svg = new DOMParser().parseFromString(data.svg, 'image/svg+xml').documentElement;
      qrImage.replaceChildren(document.importNode(svg, true));
      formChallenge.value = challenge;
      if (demoPayload && data.payload) demoPayload.value = data.payload;
      renewals = userAsked ? 0 : renewals + 1;
      if (userAsked) mode = 'qr';
      show('pending');
      if (userAsked) {
        announce(byId('renewed-text').textContent);
        qrButton.focus();
      }
      tick();
      connect();
      scheduleRenewal();
    } catch (_) {
      show('unreachable');
      setTimeout(() => renew(userAsked), 3000);
    } finally {
      renewing = false;
    }
  }

  // ---- live state: events, long-poll fallback -----------------------------------------------

  // The account that answered is blocked: say until when, and what to do.
  function showBlocked(blockedUntil) {
    const todo = byId('blocked-todo');
    if (blockedUntil) {
      // Whole seconds first, like the server (the clock offset is only known to the second).
      const seconds = Math.floor((blockedUntil * 1000 - serverNowMs()) / 1000);
      const minutes = Math.max(1, Math.ceil(seconds / 60));
      todo.textContent = todo.dataset.temporary.replace('{minutes}', String(minutes));
    } else {
      todo.textContent = todo.dataset.permanent;
    }
    clearTimeout(renewTimer);
    disconnect();
    show('blocked');
  }

  function onState(next, data) {
    if (next === state && next !== 'unreachable') return;
    if (completing || FINAL.has(state)) return;
    switch (next) {
      case 'pending':
      case 'scanned':
        show(next);
        break;
      case 'approved':
        if (!offlineInFlight) complete();
        break;
      case 'expired':
        disconnect();
        if (mode === 'qr' && state === 'pending' && renewals < maxRenewals) {
          renew(false);
        } else {
          show('expired');
        }
        break;
      case 'denied':
        disconnect();
        show('denied');
        break;
      case 'blocked':
        showBlocked(data && data.blocked_until);
        break;
      default:
        break;
    }
  }

  function disconnect() {
    if (source) {
      source.close();
      source = null;
    }
  }

  function connect() {
    disconnect();
    const gen = generation;
    const id = challenge;
    if (!('EventSource' in window)) {
      poll(gen, id);
      return;
    }
    const es = new EventSource(`/login/events/${encodeURIComponent(id)}`);
    source = es;
    es.addEventListener('state', (event) => {
      if (gen !== generation) return;
      let data = null;
      try { data = JSON.parse(event.data); } catch (_) { return; }
      if (state === 'unreachable') show('pending');
      onState(data.state, data);
    });
    es.onerror = () => {
      if (gen !== generation || source !== es) return;
      // Closed by the server after a final state, or the connection failed: fall back to
      // long polling, which also tells "unreachable" apart.
      disconnect();
      if (!FINAL.has(state) && !completing) poll(gen, id);
    };
  }

  async function poll(gen, id) {
    let failures = 0;
    while (gen === generation && !FINAL.has(state) && !completing) {
      try {
        // While the server is unreachable or busy, ask without waiting: the first answer is
        // the news.
        const wait = state === 'unreachable' || state === 'busy' ? 0 : 25;
        const response = await fetch(`/login/status/${encodeURIComponent(id)}?wait=${wait}`, {
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { accept: 'application/json' },
        });
        if (gen !== generation) return;
        if (response.status === 403 || response.status === 404) {
          const data = await response.json().catch(() => null);
          show('error', data && data.message);
          return;
        }
        if (response.status === 429) {
          // Too many live connections from this address: say so, try again when told.
          const data = await response.json().catch(() => null);
          show('busy', data && data.message);
          const seconds = Number(response.headers.get('retry-after')) || 10;
          await sleep(Math.min(seconds, 60) * 1000);
          continue;
        }
        if (!response.ok) throw new Error(`status ${response.status}`);
        const data = await response.json();
        if (gen !== generation) return;
        const wasDown = state === 'unreachable' || state === 'busy';
        if (wasDown) show('pending');
        failures = 0;
        onState(data.state, data);
        if (['approved', 'denied', 'blocked', 'expired'].includes(data.state)) return;
        if (wasDown && !FINAL.has(state) && !completing) {
          connect();   // the server is back: live events again
          return;
        }
      } catch (_) {
        if (gen !== generation) return;
        failures += 1;
        show('unreachable');
        await sleep(Math.min(1000 * failures, 5000));
      }
    }
  }

  // ---- completion ------------------------------------------------------------------------

  function signedIn(data) {
    const text = byId('approved-text');
    const name = data.display_name && data.display_name !== data.account
      ? `${data.display_name} (${data.account})` : data.account;
    text.textContent = text.dataset.signedIn.replace('{name}', name);
    announce(panelText(text.closest('.state-panel')));
    // Let the approval be seen and announced, then go on by ourselves.
    setTimeout(() => { window.location.assign(data.redirect); }, APPROVED_SHOWN_MS);
  }

  async function complete() {
    if (completing) return;
    completing = true;
    clearTimeout(renewTimer);
    disconnect();
    show('approved');
    for (let attempt = 1; ; attempt += 1) {
      try {
        const body = new URLSearchParams({ challenge_id: challenge, return: returnTo });
        const response = await fetch('/login/complete', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { accept: 'application/json', 'x-csrf-token': csrf },
          body,
        });
        const data = await response.json();
        if (response.ok && data.redirect) {
          signedIn(data);
        } else {
          completing = false;
          show('error', data.message);
        }
        return;
      } catch (_) {
        if (attempt >= 5) {
          completing = false;
          show('unreachable');
          return;
        }
        await sleep(1000 * attempt);
      }
    }
  }

  // ---- offline form ----------------------------------------------------------------------

  function openOffline() {
    mode = 'offline';
    clearTimeout(renewTimer);   // the password is bound to this very QR
    show(state);
    tigrId.focus();
  }

  function closeOffline() {
    mode = 'qr';
    formError.textContent = '';
    otp.removeAttribute('aria-invalid');
    show(state);
    qrButton.focus();
    if (state === 'pending') {
      if (secondsLeft() * 1000 <= renewMarginMs()) renew(false); else scheduleRenewal();
    }
  }

  qrButton.addEventListener('click', openOffline);
  backToQr.addEventListener('click', (event) => {
    event.preventDefault();
    closeOffline();
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeOffline();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    otp.removeAttribute('aria-invalid');
    submit.disabled = true;
    offlineInFlight = true;
    try {
      const response = await fetch('/login/offline', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'x-csrf-token': csrf },
        body: new URLSearchParams(new FormData(form)),
      });
      const data = await response.json();
      if (response.ok && data.redirect) {
        completing = true;
        clearTimeout(renewTimer);
        disconnect();
        show('approved');
        signedIn(data);
        return;
      }
      offlineInFlight = false;
      switch (data.error) {
        case 'offline_paused':
          // Offline codes are paused for this Tigr ID (the message says until when); the QR
          // on this page still works, so it stays.
          formError.textContent = data.message || '';
          otp.value = '';
          tigrId.focus();
          return;
        case 'challenge_expired':
          disconnect();
          show('expired');
          return;
        case 'challenge_used':
        case 'browser_mismatch':
        case 'csrf':
          disconnect();
          show('error', data.message);
          return;
        default:
          formError.textContent = data.message || '';
          otp.setAttribute('aria-invalid', 'true');
          otp.value = '';
          otp.focus();
      }
    } catch (_) {
      offlineInFlight = false;
      show('unreachable');
    } finally {
      submit.disabled = false;
    }
  });

  for (const button of root.querySelectorAll('.renew-button')) {
    button.addEventListener('click', () => renew(true));
  }

  const copy = byId('copy-payload');
  if (copy && demoPayload) {
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(demoPayload.value);
      } catch (_) {
        demoPayload.select();
        document.execCommand('copy');
      }
      announce(copy.dataset.done);
    });
  }

  // ---- start -------------------------------------------------------------------------------

  show('pending');
  tick();
  setInterval(tick, 250);
  connect();
  scheduleRenewal();
})();
