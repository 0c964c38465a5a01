// Engine Room: follow the presenter.
// The browser that started a room (its page has data-room-role="teach") publishes, from every page
// it shows, {path, demo, step} to POST /rooms/<code>/state: the page, and the step of the trace it
// steps through (present.js tells each step as an "er:step" event).
// A student's browser that opened /rooms/<code> (data-room-role="follow") keeps following on every
// page: it listens to GET /rooms/<code>/events, goes to the teacher's page, and shows the teacher's
// step on its own result of the same demo (an "er:show-step" event to present.js), now or as soon
// as the student runs that demo. A banner says which room is followed and stops it.
(function () {
  'use strict';

  const doc = document;
  const TEACH = 'er-room-teach';
  const FOLLOW = 'er-room-follow';
  const CODE = /^[A-HJKMNP-Z2-9]{5}$/;

  function load(key) {
    try { const v = localStorage.getItem(key) || ''; return CODE.test(v) ? v : ''; } catch (_) { return ''; }
  }
  function save(key, code) {
    try { if (code) localStorage.setItem(key, code); else localStorage.removeItem(key); } catch (_) { /* storage off */ }
  }

  // The room page says who this browser is in the room.
  const here = doc.querySelector('[data-room-code]');
  if (here && CODE.test(here.dataset.roomCode)) {
    if (here.dataset.roomRole === 'teach') { save(TEACH, here.dataset.roomCode); save(FOLLOW, ''); }
    else { save(FOLLOW, here.dataset.roomCode); save(TEACH, ''); }
  }

  function banner(text, action, onStop) {
    const bar = Object.assign(doc.createElement('div'), { className: 'room-banner' });
    bar.setAttribute('role', 'status');
    const stop = Object.assign(doc.createElement('button'), { type: 'button', className: 'room-stop', textContent: action });
    stop.addEventListener('click', () => { onStop(); bar.remove(); });
    bar.append(doc.createTextNode(text + ' — '), stop);
    doc.body.prepend(bar);
    return bar;
  }

  // ---------- teacher ----------
  function teach(code) {
    const csrf = (doc.querySelector('meta[name="csrf-token"]') || {}).content || '';
    let stopped = false;
    banner('Presenting room ' + code, 'end', () => { stopped = true; save(TEACH, ''); });
    function publish(demo, step) {
      if (stopped) return;
      const body = JSON.stringify({ path: location.pathname + location.search, demo: demo || '', step: step || 0 });
      fetch('/rooms/' + code + '/state', {
        method: 'POST', credentials: 'same-origin', body,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      }).then((r) => {
        if (r.status === 403 || r.status === 404) { stopped = true; save(TEACH, ''); }
      }).catch(() => { /* offline for a moment: the next step publishes again */ });
    }
    doc.addEventListener('er:step', (e) => publish(e.detail.demo, e.detail.step));
    // The room's own pages are not where students should go.
    if (!location.pathname.startsWith('/rooms')) publish('', 0);
  }

  // ---------- student ----------
  function follow(code) {
    let pending = null; // the teacher's {demo, step}, shown when this page has that result
    const es = new EventSource('/rooms/' + code + '/events');
    const bar = banner('Following room ' + code, 'stop', () => { es.close(); save(FOLLOW, ''); pending = null; });
    bar.classList.add('is-following');
    function apply() {
      if (!pending || !pending.demo) return;
      doc.dispatchEvent(new CustomEvent('er:show-step', { detail: pending }));
    }
    es.addEventListener('state', (e) => {
      let s;
      try { s = JSON.parse(e.data); } catch (_) { return; }
      if (typeof s.path !== 'string' || !s.path.startsWith('/') || s.path.startsWith('//')) return;
      if (s.path !== location.pathname + location.search) { es.close(); location.assign(s.path); return; }
      pending = { demo: typeof s.demo === 'string' ? s.demo : '', step: Number(s.step) || 0 };
      apply();
    });
    es.addEventListener('error', () => {
      if (es.readyState !== EventSource.CLOSED) return; // reconnecting by itself
      save(FOLLOW, '');
      bar.replaceChildren(doc.createTextNode('Room ' + code + ' has ended.'));
    });
    doc.addEventListener('htmx:afterSwap', (e) => {
      if (pending && e.target instanceof Element && e.target.closest('#demo-' + pending.demo + '-result')) apply();
    });
  }

  const teaching = load(TEACH);
  const following = load(FOLLOW);
  if (teaching) teach(teaching);
  else if (following) follow(following);
})();
