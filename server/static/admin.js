// Tigr admin pages: the live status of an enrollment invitation (server-sent events, with
// a polling fallback) and the print button of the invitation sheet.
//
// When the phone completes the enrollment, the page says so in its aria-live region, hides
// the QR code (it is used up), shows the enrolled phone and dispatches `tigr:enrollment`
// on document (detail: the status JSON).
(() => {
  'use strict';

  const byId = (id) => document.getElementById(id);

  const print = byId('print-button');
  if (print) {
    print.hidden = false;
    print.addEventListener('click', () => window.print());
  }

  const error = byId('page-error');
  if (error && !document.querySelector('[autofocus]')) error.focus();

  const live = byId('enroll-live');
  if (!live) return;
  const id = live.dataset.invitation;
  const statusBox = byId('enroll-status');
  const statusText = byId('enroll-status-text');
  const device = byId('enroll-device');
  let done = false;
  let source = null;
  let timer = null;

  function apply(data) {
    if (done || !data || !data.status) return;
    live.dataset.status = data.status;
    if (data.status === 'pending') {
      if (statusText.textContent !== data.text) statusText.textContent = data.text;
      return;
    }
    done = true;
    if (source) source.close();
    clearTimeout(timer);
    for (const part of document.querySelectorAll('[data-while-pending]')) part.hidden = true;
    statusBox.classList.remove('state-info');
    statusBox.classList.add(data.status === 'completed' ? 'state-ok' : 'state-warn');
    statusText.textContent = data.text;
    if (data.status === 'completed' && data.device) {
      byId('device-name').textContent = data.device.name;
      const enrolled = byId('device-enrolled');
      enrolled.textContent = data.device.enrolled.text;
      enrolled.setAttribute('datetime', data.device.enrolled.iso);
      byId('device-id').textContent = data.device.id;
      device.hidden = false;
    }
    document.dispatchEvent(new CustomEvent('tigr:enrollment', { detail: data }));
  }

  async function poll() {
    try {
      const reply = await fetch(`/admin/invitations/${encodeURIComponent(id)}/status`, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
      });
      if (reply.ok) {
        apply(await reply.json());
      } else if (reply.status === 401 || reply.status === 403 || reply.status === 404) {
        // The session is over (or the invitation is gone): stop following.
        done = true;
        const ended = byId('enroll-session-ended');
        if (ended) ended.hidden = false;
        return;
      }
    } catch (_) {
      // Network trouble: try again below.
    }
    if (!done) timer = setTimeout(poll, 2000);
  }

  if ('EventSource' in window) {
    source = new EventSource(`/admin/invitations/${encodeURIComponent(id)}/events`);
    source.addEventListener('status', (event) => {
      try { apply(JSON.parse(event.data)); } catch (_) { /* ignore a malformed event */ }
    });
    source.onerror = () => {
      // The browser reconnects by itself; if it gives up, poll instead.
      if (!done && source.readyState === EventSource.CLOSED) {
        source = null;
        poll();
      }
    };
  } else {
    poll();
  }
})();
