// Engine Room: presenter mode and the keyboard shortcuts for teaching from a projector.
//   p        presenter mode on/off (also ?present=1 / ?present=0; remembered in this browser)
//   → / ←    step through the back end pane of the result on screen, one span at a time
//   Esc      stop stepping and show every span again
//   r        run the demo on screen again
//   s        replay the waterfall in slow motion, in true proportion
//   j        open the page students use to join this lesson
//   ?        the list of shortcuts
// The narration of each span is rendered by the server; this script only shows and hides it.
(function () {
  'use strict';

  const doc = document;
  const root = doc.documentElement;
  const STORE_KEY = 'er-present';
  const IDLE_MS = 2000;
  const SLOWDOWN = 10; // a replay lasts ten times the trace…
  const REPLAY_MIN_MS = 2000; // …but at least long enough to follow
  const REPLAY_MAX_MS = 6000; // …and at most a few seconds
  const SHORTCUTS = [
    ['p', 'Presenter mode on or off'],
    ['→', 'Show the next span of the back end pane, with what it did'],
    ['←', 'Hide the last span shown'],
    ['Esc', 'Stop stepping: show every span'],
    ['r', 'Run the demo on screen again'],
    ['s', 'Replay the waterfall in slow motion'],
    ['j', 'Open the join page for this lesson, where a room can be started'],
    ['?', 'This list'],
  ];

  let lastResult = null; // the result region most recently swapped in
  let idleTimer = 0;
  const replays = new WeakMap(); // waterfall -> animation frame id

  // ---------- announcements ----------
  const live = Object.assign(doc.createElement('div'), { className: 'present-live' });
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('role', 'status');
  doc.body.append(live);
  function announce(text) {
    // A new text node each time, so the same words are read again.
    live.replaceChildren(doc.createTextNode(text));
  }

  // ---------- presenter mode ----------
  const presenting = () => root.classList.contains('present');
  function remember(on) {
    try { localStorage.setItem(STORE_KEY, on ? '1' : '0'); } catch (_) { /* storage off: this page only */ }
  }
  function setPresent(on) {
    root.classList.toggle('present', on);
    root.classList.remove('present-idle');
    clearTimeout(idleTimer);
    if (on) idleTimer = setTimeout(hideCursor, IDLE_MS);
  }
  function hideCursor() { if (presenting()) root.classList.add('present-idle'); }
  function stirred() {
    root.classList.remove('present-idle');
    clearTimeout(idleTimer);
    if (presenting()) idleTimer = setTimeout(hideCursor, IDLE_MS);
  }

  // ?present=1 or ?present=0 sets the mode and is taken out of the address, so a reload keeps
  // whatever the presenter chose since.
  function initialMode() {
    const url = new URL(location.href);
    const asked = url.searchParams.get('present');
    if (asked === '1' || asked === '0') {
      remember(asked === '1');
      url.searchParams.delete('present');
      try { history.replaceState(history.state, '', url.pathname + url.search + url.hash); } catch (_) { /* keep the address */ }
      return asked === '1';
    }
    try { return localStorage.getItem(STORE_KEY) === '1'; } catch (_) { return false; }
  }

  // ---------- the result on screen ----------
  function visibleHeight(el) {
    const r = el.getBoundingClientRect();
    return Math.max(0, Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0));
  }
  // The result region with a waterfall that shows most on screen; the last one run when none shows.
  function currentResult() {
    const all = Array.from(doc.querySelectorAll('.demo-result')).filter((r) => r.querySelector('.pane-back ol.waterfall'));
    let best = null, bestH = 0;
    for (const r of all) {
      const h = visibleHeight(r) + (r === lastResult ? 1 : 0);
      if (h > bestH) { best = r; bestH = h; }
    }
    if (best) return best;
    return lastResult && lastResult.isConnected && lastResult.querySelector('.pane-back ol.waterfall') ? lastResult : all[0] || null;
  }
  function currentDemo() {
    const res = currentResult();
    if (res) return res.closest('.demo');
    let best = null, bestH = 0;
    doc.querySelectorAll('.demo').forEach((d) => {
      const h = visibleHeight(d);
      if (h > bestH) { best = d; bestH = h; }
    });
    return best;
  }
  const spansOf = (ol) => Array.from(ol.children).filter((li) => li.matches('li.span'));
  const waterfallOf = (res) => res && res.querySelector('.pane-back ol.waterfall');

  // ---------- step-through ----------
  function showSteps(ol, n) {
    const spans = spansOf(ol);
    n = Math.max(0, Math.min(n, spans.length));
    ol.classList.add('is-stepping');
    ol.dataset.step = String(n);
    told(ol, n);
    spans.forEach((li, i) => {
      li.classList.toggle('is-revealed', i < n);
      li.classList.toggle('is-current', i === n - 1);
    });
    const cur = spans[n - 1];
    if (!cur) { announce('No spans shown. Press the right arrow to show the first.'); return; }
    const said = cur.querySelector('.span-narration');
    const name = cur.querySelector('.span-name');
    announce('Span ' + n + ' of ' + spans.length + ': ' + (said ? said.textContent : name ? name.textContent : ''));
    cur.scrollIntoView({ block: 'nearest' });
  }
  // Hook for rooms.js: every change of step is told as an "er:step" event on document, with
  // detail {demo, step} (step 0: every span shown); an "er:show-step" event with the same detail,
  // sent by another script, shows that many spans of that demo's result on this page.
  function told(ol, n) {
    const res = ol.closest('.demo-result');
    const m = res && /^demo-(.+)-result$/.exec(res.id);
    if (m) doc.dispatchEvent(new CustomEvent('er:step', { detail: { demo: m[1], step: n } }));
  }
  doc.addEventListener('er:show-step', (e) => {
    const d = e.detail || {};
    const res = typeof d.demo === 'string' ? doc.getElementById('demo-' + d.demo + '-result') : null;
    const ol = waterfallOf(res);
    if (!ol || !(d.step >= 0)) return;
    if (d.step > 0) { showSteps(ol, d.step); return; }
    ol.classList.remove('is-stepping');
    delete ol.dataset.step;
    spansOf(ol).forEach((li) => li.classList.remove('is-revealed', 'is-current'));
  });
  // step moves one span forward or back; the first step forward begins with the server span alone.
  function step(delta) {
    const ol = waterfallOf(currentResult());
    if (!ol) return false;
    if (!ol.classList.contains('is-stepping')) {
      if (delta < 0) return false;
      showSteps(ol, 1);
      return true;
    }
    showSteps(ol, Number(ol.dataset.step || 0) + delta);
    return true;
  }
  function stopStepping() {
    const ol = doc.querySelector('ol.waterfall.is-stepping');
    if (!ol) return false;
    doc.querySelectorAll('ol.waterfall.is-stepping').forEach((w) => {
      w.classList.remove('is-stepping');
      delete w.dataset.step;
      told(w, 0);
      spansOf(w).forEach((li) => li.classList.remove('is-revealed', 'is-current'));
    });
    announce('Every span is shown.');
    return true;
  }

  // ---------- slow-motion replay ----------
  // The trace's total as the pane prints it ("total 4.1 ms"), in milliseconds.
  function totalMs(res) {
    const meta = res.querySelector('.trace-meta');
    const m = meta && /total\s+([0-9.]+)\s*(µs|ms|s)\b/.exec(meta.textContent);
    if (!m) return 0;
    return Number(m[1]) * ({ 'µs': 0.001, ms: 1, s: 1000 })[m[2]];
  }
  function replay() {
    const res = currentResult();
    const ol = waterfallOf(res);
    if (!ol) return false;
    cancelAnimationFrame(replays.get(ol));
    const bars = spansOf(ol).map((li) => li.querySelector('rect.bar')).filter(Boolean).map((b) => {
      if (!b.dataset.w) b.dataset.w = b.getAttribute('width');
      return { b, x: Number(b.getAttribute('x')) || 0, w: Number(b.dataset.w) || 0 };
    });
    const ms = Math.min(Math.max(totalMs(res) * SLOWDOWN, REPLAY_MIN_MS), REPLAY_MAX_MS);
    const grow = (pct) => bars.forEach((s) => s.b.setAttribute('width', String(Math.max(0, Math.min(s.w, pct - s.x)))));
    grow(0);
    ol.classList.add('is-replaying');
    announce('Replaying the waterfall in slow motion over ' + (ms / 1000).toFixed(1) + ' seconds.');
    let t0 = 0;
    const frame = (now) => {
      t0 = t0 || now;
      const pct = ((now - t0) / ms) * 100;
      grow(pct);
      if (pct < 100) { replays.set(ol, requestAnimationFrame(frame)); return; }
      bars.forEach((s) => s.b.setAttribute('width', s.b.dataset.w));
      ol.classList.remove('is-replaying');
      replays.delete(ol);
    };
    replays.set(ol, requestAnimationFrame(frame));
    return true;
  }

  // ---------- other shortcuts ----------
  function rerun() {
    const demo = currentDemo();
    const btn = demo && demo.querySelector('.demo-form button.btn-run');
    if (!btn || btn.disabled) return false;
    btn.click();
    return true;
  }
  let dialog = null;
  function shortcutsDialog() {
    if (dialog) return dialog;
    dialog = Object.assign(doc.createElement('dialog'), { className: 'shortcuts', id: 'shortcuts' });
    dialog.setAttribute('aria-labelledby', 'shortcuts-title');
    const h = Object.assign(doc.createElement('h2'), { id: 'shortcuts-title', textContent: 'Keyboard shortcuts' });
    const dl = Object.assign(doc.createElement('dl'), { className: 'shortcut-list' });
    SHORTCUTS.forEach(([key, what]) => {
      const dt = doc.createElement('dt');
      dt.append(Object.assign(doc.createElement('kbd'), { textContent: key }));
      dl.append(dt, Object.assign(doc.createElement('dd'), { textContent: what }));
    });
    const form = doc.createElement('form');
    form.method = 'dialog';
    form.append(Object.assign(doc.createElement('button'), { className: 'btn', type: 'submit', textContent: 'Close' }));
    dialog.append(h, dl, form);
    doc.body.append(dialog);
    return dialog;
  }
  function toggleShortcuts() {
    const d = shortcutsDialog();
    if (d.open) d.close(); else d.showModal();
    return true;
  }
  function join() {
    location.assign('/join?path=' + encodeURIComponent(location.pathname));
    return true;
  }

  // ---------- keys ----------
  function typing(t) {
    return t instanceof Element && !!t.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])');
  }
  doc.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.shiftKey && e.key !== '?') return;
    if (dialog && dialog.open) {
      if (e.key === '?') { e.preventDefault(); dialog.close(); }
      return; // Escape closes it by itself
    }
    let done = false;
    switch (e.key) {
      case 'p': case 'P':
        setPresent(!presenting());
        remember(presenting());
        announce(presenting() ? 'Presenter mode on.' : 'Presenter mode off.');
        done = true;
        break;
      case 'ArrowRight': done = step(1); break;
      case 'ArrowLeft': done = step(-1); break;
      case 'Escape': done = stopStepping(); break;
      case 'r': case 'R': done = rerun(); break;
      case 's': case 'S': done = replay(); break;
      case 'j': case 'J': done = join(); break;
      case '?': done = toggleShortcuts(); break;
    }
    if (done) e.preventDefault();
  });

  doc.addEventListener('htmx:afterSwap', (e) => {
    const res = e.target instanceof Element ? e.target.closest('.demo-result') : null;
    if (!res) return;
    lastResult = res;
    // On a projector a fresh result takes the screen.
    if (presenting() && waterfallOf(res)) res.scrollIntoView({ block: 'start' });
  });
  doc.addEventListener('mousemove', stirred, { passive: true });
  doc.addEventListener('mousedown', stirred, { passive: true });

  setPresent(initialMode());
})();
