// Engine Room: partial page updates (a subset of htmx's attributes and headers, load triggers
// included), copy buttons, the theme toggle, countdowns and Ctrl/Cmd+Enter to submit. Every form also
// works without this script.
(function () {
  'use strict';

  const doc = document;
  const root = doc.documentElement;
  const THEME_KEY = 'er-theme';
  const SWAPS = ['innerHTML', 'outerHTML', 'beforeend', 'afterbegin', 'beforebegin', 'afterend', 'none'];
  const INSERT = { outerHTML: 'replaceWith', beforeend: 'append', afterbegin: 'prepend', beforebegin: 'before', afterend: 'after' };
  const FOCUSABLE = 'a[href],button,input,select,textarea,summary,[tabindex]';
  const TIMEOUT_MS = 30000;
  const inFlight = new WeakSet();
  const labelTimers = new WeakMap();
  const darkOS = window.matchMedia('(prefers-color-scheme: dark)');

  // ---------- theme ----------
  const currentTheme = () => root.dataset.theme || (darkOS.matches ? 'dark' : 'light');
  function syncThemeButtons() {
    const dark = currentTheme() === 'dark';
    const label = dark ? 'Switch to light theme' : 'Switch to dark theme';
    doc.querySelectorAll('[data-theme-toggle]').forEach((b) => {
      b.setAttribute('aria-pressed', String(dark));
      b.setAttribute('aria-label', label);
      b.title = label;
    });
  }
  function toggleTheme() {
    root.dataset.theme = currentTheme() === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem(THEME_KEY, root.dataset.theme); } catch (_) { /* storage off: this page only */ }
    syncThemeButtons();
  }
  darkOS.addEventListener('change', syncThemeButtons);

  // ---------- helpers ----------
  function fire(el, name, detail, cancelable) {
    return el.dispatchEvent(new CustomEvent(name, { bubbles: true, cancelable: !!cancelable, detail }));
  }
  // The attribute on el or its nearest ancestor, like htmx inheritance.
  function inherited(el, name) {
    const owner = el.closest('[' + name + ']');
    return owner ? { owner, value: (owner.getAttribute(name) || '').trim() } : null;
  }
  // "this" (the attribute's owner), "closest <sel>", "find <sel>" or a document-wide selector.
  function query(el, owner, sel, all) {
    try {
      if (sel === 'this') return [owner];
      if (sel.startsWith('closest ')) return [el.closest(sel.slice(8))].filter(Boolean);
      if (sel.startsWith('find ')) return [el.querySelector(sel.slice(5))].filter(Boolean);
      return all ? Array.from(doc.querySelectorAll(sel)) : [doc.querySelector(sel)].filter(Boolean);
    } catch (_) { return []; /* invalid selector */ }
  }

  // ---------- swapping ----------
  function insert(target, style, nodes) {
    if (style === 'none') return [];
    const frag = doc.createDocumentFragment();
    frag.append(...nodes);
    target[INSERT[style] || 'replaceChildren'](frag);
    return nodes;
  }
  function swapOob(el) {
    const spec = el.getAttribute('hx-swap-oob').trim();
    el.querySelectorAll('[hx-swap-oob]').forEach((n) => n.removeAttribute('hx-swap-oob'));
    el.removeAttribute('hx-swap-oob');
    const i = spec.indexOf(':');
    const head = i < 0 ? spec : spec.slice(0, i);
    const style = SWAPS.includes(head) ? head : 'outerHTML'; // "true" means outerHTML
    const target = i < 0 ? el.id && doc.getElementById(el.id) : query(el, el, spec.slice(i + 1).trim())[0];
    if (!target) { el.remove(); return []; }
    return insert(target, style, style === 'outerHTML' ? [el] : Array.from(el.childNodes));
  }
  function focusInto(nodes) {
    for (const n of nodes) {
      const el = n.nodeType === 1 && n.isConnected && (n.matches('[autofocus],[data-focus]') ? n : n.querySelector('[autofocus],[data-focus]'));
      if (!el) continue;
      if (!el.matches(FOCUSABLE)) el.setAttribute('tabindex', '-1');
      el.focus();
      return true;
    }
    return false;
  }
  // Focus stays where it was; a focused control that was re-rendered is refocused by id.
  function keepPlace(active) {
    const again = active && active !== doc.body && !active.isConnected && active.id && doc.getElementById(active.id);
    if (again) again.focus();
  }
  function afterSwap(target, detail) {
    root.dataset.lastSwap = String(Date.now());
    syncThemeButtons();
    fire(target, 'htmx:afterSwap', Object.assign({}, detail, { target }));
  }
  function swap(target, html, style, detail) {
    const tpl = doc.createElement('template');
    tpl.innerHTML = html;
    const frag = tpl.content;
    const active = doc.activeElement;
    let oob = [];
    frag.querySelectorAll('[hx-swap-oob]').forEach((el) => { if (frag.contains(el)) oob = oob.concat(swapOob(el)); });
    const main = insert(target, style, Array.from(frag.childNodes));
    if (!focusInto(main.concat(oob))) keepPlace(active);
    afterSwap(target.isConnected ? target : main.find((n) => n.nodeType === 1 && n.isConnected) || doc.body, detail);
  }
  function showError(target, message, detail) {
    const p = Object.assign(doc.createElement('p'), { className: 'swap-error', textContent: message });
    p.setAttribute('role', 'alert');
    target.replaceChildren(p);
    afterSwap(target, Object.assign({}, detail, { error: true }));
  }

  // Pushed entries hold server-rendered state: going back to one reloads it.
  function pushUrl(url) {
    try {
      if (!history.state || !history.state.engineRoom) history.replaceState({ engineRoom: true }, '');
      history.pushState({ engineRoom: true }, '', url);
    } catch (_) { /* another origin: not pushable */ }
  }
  window.addEventListener('popstate', (e) => { if (e.state && e.state.engineRoom) location.reload(); });

  // ---------- requests ----------
  function buildRequest(el, verb, submitter) {
    const form = el.tagName === 'FORM' ? el : verb === 'post' ? el.closest('form') : null;
    const url = new URL(el.getAttribute('hx-' + verb) || (form && form.getAttribute('action')) || location.href, location.href);
    let data = form ? new FormData(form) : null;
    if (form && submitter && submitter.name) data.append(submitter.name, submitter.value);
    if (el !== form && el.name && typeof el.value === 'string') (data = data || new FormData()).append(el.name, el.value);
    if (data && verb === 'get') {
      const params = new URLSearchParams(data);
      new Set(params.keys()).forEach((k) => url.searchParams.delete(k));
      params.forEach((v, k) => url.searchParams.append(k, v));
      data = null;
    }
    return { verb, url, body: data && new URLSearchParams(data) };
  }

  function handleResponse(el, target, res, text, req, detail) {
    const h = (name) => res.headers.get(name);
    if (h('HX-Redirect')) return location.assign(h('HX-Redirect'));
    if (h('HX-Refresh') === 'true') return location.reload();
    const style = ((inherited(el, 'hx-swap') || {}).value || '').split(/\s+/)[0];
    if ((h('Content-Type') || '').includes('text/html')) swap(target, text, SWAPS.includes(style) ? style : 'innerHTML', detail);
    else if (!res.ok) showError(target, 'Request failed (' + res.status + ') — try again.', detail);
    if (!res.ok) return;
    const pushAttr = inherited(el, 'hx-push-url');
    let push = h('HX-Push-Url') || (pushAttr ? pushAttr.value : 'false');
    if (push === 'true') push = req.verb === 'get' ? req.url.href : 'false';
    if (push !== 'false') pushUrl(push);
  }

  // How long a 503 asks us to wait before trying again (Retry-After in seconds, at most 10); 0 for anything else.
  function retryDelay(res) {
    const secs = Number(res.headers.get('Retry-After'));
    return res.status === 503 && secs > 0 ? Math.min(secs, 10) * 1000 : 0;
  }

  async function issue(el, verb, submitter, ev) {
    const t = inherited(el, 'hx-target');
    const target = t ? query(el, t.owner, t.value)[0] : el;
    if (!target) return; // unknown target: let the browser do its normal thing
    ev.preventDefault();
    if (inFlight.has(el)) return;
    const req = buildRequest(el, verb, submitter);
    const detail = { elt: el, target, verb, path: req.url.href };
    if (!fire(el, 'htmx:beforeRequest', detail, true)) return;

    const ind = inherited(el, 'hx-indicator');
    const indicators = ind ? query(el, ind.owner, ind.value, true) : [el];
    const isForm = el.tagName === 'FORM';
    const buttons = isForm ? Array.from(el.elements).filter((b) => b.type === 'submit' && !b.disabled) : [];
    const status = isForm ? el.querySelector('.status') : null;
    const focused = doc.activeElement;
    const busy = (on) => {
      inFlight[on ? 'add' : 'delete'](el);
      indicators.forEach((i) => i.classList.toggle('htmx-request', on));
      if (on) el.setAttribute('aria-busy', 'true'); else el.removeAttribute('aria-busy');
      buttons.forEach((b) => { b.disabled = on; });
      if (status) status.textContent = on ? 'Running…' : '';
    };
    busy(true);

    const headers = { 'HX-Request': 'true', 'HX-Current-URL': location.href, Accept: 'text/html' };
    if (target.id) headers['HX-Target'] = target.id;
    const token = doc.querySelector('meta[name="csrf-token"]');
    if (token && req.url.origin === location.origin) headers['X-CSRF-Token'] = token.content;
    let res = null, text = '';
    for (let attempt = 0; ; attempt++) {
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
      try {
        res = await fetch(req.url.href, { method: verb.toUpperCase(), headers, body: req.body, credentials: 'same-origin', signal: ctrl.signal });
        text = await res.text();
      } catch (_) { res = null; /* offline, refused or timed out */ }
      clearTimeout(timer);
      // A server busy with a whole class asks to come back shortly: do so once, and say why.
      const wait = attempt === 0 && res ? retryDelay(res) : 0;
      if (!wait) break;
      if (status) status.textContent = 'The server is busy with the whole class — trying again in ' + Math.ceil(wait / 1000) + '\u00a0s…';
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (status) status.textContent = 'Running…';
    }
    const where = () => (el.isConnected ? el : doc.body);
    try {
      if (res) handleResponse(el, target, res, text, req, detail);
      else { showError(target, 'Network error — try again.', detail); fire(where(), 'htmx:sendError', detail); }
    } finally {
      busy(false);
      // Disabling the focused button can drop focus to <body>: give it back.
      const now = doc.activeElement;
      if (focused && focused !== doc.body && focused.isConnected && (!now || now === doc.body)) focused.focus({ preventScroll: true });
      fire(where(), 'htmx:afterRequest', Object.assign({}, detail, { successful: !!res && res.ok }));
    }
  }

  // ---------- copy ----------
  function flashLabel(btn, text, ok) {
    if (!('copyLabel' in btn.dataset)) btn.dataset.copyLabel = btn.textContent;
    btn.textContent = text;
    btn.classList.toggle('is-copied', ok);
    clearTimeout(labelTimers.get(btn));
    labelTimers.set(btn, setTimeout(() => {
      btn.textContent = btn.dataset.copyLabel;
      btn.classList.remove('is-copied');
      delete btn.dataset.copyLabel;
    }, 1500));
  }
  function legacyCopy(text, btn) {
    const ta = Object.assign(doc.createElement('textarea'), { value: text, readOnly: true, className: 'copy-buffer' });
    doc.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = doc.execCommand('copy'); } catch (_) { /* unsupported */ }
    ta.remove();
    btn.focus({ preventScroll: true });
    return ok;
  }
  function copyFrom(btn) {
    const src = query(btn, btn, btn.getAttribute('data-copy').trim())[0];
    if (!src) return;
    const text = src.textContent;
    const done = (ok) => {
      if (!ok) window.getSelection().selectAllChildren(src); // so it can be copied by hand
      flashLabel(btn, ok ? 'Copied' : 'Selected', ok);
    };
    // The async clipboard needs a secure context (a school server on plain http has none).
    const write = navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
    write.then(() => done(true), () => done(legacyCopy(text, btn)));
  }

  // ---------- countdowns ----------
  // <x data-countdown-ms="18734">19 s</x> counts down once a second from when it appeared and says
  // "expired" at 0. The server-rendered text stays when this script does not run.
  const deadlines = new WeakMap();
  let ticker = 0;
  function tickCountdowns() {
    const els = doc.querySelectorAll('[data-countdown-ms]');
    const now = Date.now();
    els.forEach((el) => {
      if (!deadlines.has(el)) deadlines.set(el, now + (Number(el.getAttribute('data-countdown-ms')) || 0));
      const left = Math.ceil((deadlines.get(el) - now) / 1000);
      if (left > 0) { el.textContent = left + '\u00a0s'; return; }
      el.textContent = 'expired';
      el.classList.add('is-expired');
      el.removeAttribute('data-countdown-ms');
    });
    if (!doc.querySelector('[data-countdown-ms]')) { clearInterval(ticker); ticker = 0; }
  }
  function startCountdowns() {
    tickCountdowns();
    if (!ticker && doc.querySelector('[data-countdown-ms]')) ticker = setInterval(tickCountdowns, 1000);
  }
  doc.addEventListener('htmx:afterSwap', startCountdowns);

  // ---------- load triggers ----------
  // hx-trigger="load" (or "load delay:1s") issues an element's hx-get once it is in the page, after the
  // delay: a region that answers with itself (hx-swap="outerHTML") and the same trigger polls, and stops
  // when the server answers without it.
  const loadTriggered = new WeakSet();
  function delayMs(spec) {
    const m = /\bdelay:(\d+)(ms|s)?\b/.exec(spec);
    return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : 0;
  }
  function processLoadTriggers() {
    doc.querySelectorAll('[hx-get][hx-trigger]').forEach((el) => {
      const spec = el.getAttribute('hx-trigger');
      if (loadTriggered.has(el) || !/^\s*load\b/.test(spec)) return;
      loadTriggered.add(el);
      setTimeout(() => { if (el.isConnected) issue(el, 'get', null, { preventDefault() {} }); }, delayMs(spec));
    });
  }
  doc.addEventListener('htmx:afterSwap', processLoadTriggers);

  // ---------- document.cookie ----------
  // <code data-document-cookie> shows what a script on the page can read of the cookies: the
  // HttpOnly ones are not there.
  function showDocumentCookie() {
    doc.querySelectorAll('[data-document-cookie]').forEach((el) => {
      el.textContent = doc.cookie === '' ? '(empty)' : doc.cookie;
    });
  }
  doc.addEventListener('htmx:afterSwap', showDocumentCookie);
  showDocumentCookie();

  // ---------- API explorer ----------
  // Picking an endpoint fills in the path and body from that operation's examples in the OpenAPI
  // document, the way the server makes its examples (operationExample in web/demo_api_explorer.go).
  let apiDoc = null;
  function apiExample(d, key) {
    const sp = key.indexOf(' ');
    let path = key.slice(sp + 1);
    const op = ((d.paths || {})[path] || {})[key.slice(0, sp).toLowerCase()];
    if (!op) return null;
    const refs = (d.components || {}).parameters || {};
    const query = [];
    (op.parameters || []).forEach((p) => {
      if (p.$ref) p = refs[p.$ref.split('/').pop()] || p;
      if (p.example === undefined) return;
      if (p.in === 'path') path = path.split('{' + p.name + '}').join(encodeURIComponent(String(p.example)));
      else if (p.in === 'query') query.push(encodeURIComponent(p.name) + '=' + encodeURIComponent(String(p.example)));
    });
    const media = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    const body = media && media.example !== undefined ? JSON.stringify(media.example, null, 2) : '';
    return { target: path + (query.length ? '?' + query.join('&') : ''), body };
  }
  doc.addEventListener('change', (e) => {
    const sel = e.target;
    const form = sel instanceof HTMLSelectElement && sel.name === 'endpoint' ? sel.form : null;
    if (!form || !/^\/demos\/api-explorer\b/.test(form.getAttribute('action') || '')) return;
    apiDoc = apiDoc || fetch('/api/v1/openapi.json', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))));
    apiDoc.then((d) => {
      const ex = apiExample(d, sel.value);
      if (!ex) return;
      form.elements.path.value = ex.target;
      form.elements.body.value = ex.body;
    }).catch(() => { apiDoc = null; /* offline: the fields keep what was typed */ });
  });

  // ---------- events (delegated: swapped-in content needs no re-binding) ----------
  doc.addEventListener('click', (e) => {
    if (e.defaultPrevented || !(e.target instanceof Element)) return;
    const copy = e.target.closest('[data-copy]');
    if (copy) return copyFrom(copy);
    if (e.target.closest('[data-theme-toggle]')) return toggleTheme();
    const el = e.target.closest('[hx-get],[hx-post]');
    if (!el || el.tagName === 'FORM') return; // forms are handled on submit
    if (el.hasAttribute('hx-trigger') && !/\bclick\b/.test(el.getAttribute('hx-trigger'))) return; // e.g. a polling region
    if (el.tagName === 'A' && (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey)) return;
    issue(el, el.hasAttribute('hx-get') ? 'get' : 'post', null, e);
  });

  doc.addEventListener('submit', (e) => {
    const form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    const verb = form.hasAttribute('hx-post') ? 'post' : form.hasAttribute('hx-get') ? 'get' : null;
    if (verb) issue(form, verb, e.submitter || null, e);
  });

  // Ctrl+Enter / Cmd+Enter in a textarea submits its form (with the form's first submit button).
  doc.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.isComposing || e.defaultPrevented) return;
    const form = e.target instanceof HTMLTextAreaElement ? e.target.form : null;
    if (!form) return;
    e.preventDefault();
    form.requestSubmit(Array.from(form.elements).find((b) => b.type === 'submit' && !b.disabled));
  });

  syncThemeButtons();
  startCountdowns();
  processLoadTriggers();
})();

// ---------- pinned trace ----------
// A back end pane's "Pin" keeps its trace id in sessionStorage (this tab only); every pane showing
// another trace then offers "Compare with pinned", a link to /traces/compare?a=<pinned>&b=<its trace>.
// Both controls stay hidden without this script. Panes arrive with partial updates, so clicks are
// delegated and the controls are brought up to date after every swap.
(function () {
  'use strict';

  const doc = document;
  const PIN_KEY = 'er-pinned-trace';
  const TRACE_ID = /^[0-9a-f]{32}$/;

  // The pinned trace id, '' for none; null when this tab cannot store one.
  function pinned() {
    try {
      const id = sessionStorage.getItem(PIN_KEY) || '';
      return TRACE_ID.test(id) ? id : '';
    } catch (_) { return null; /* storage off */ }
  }
  function syncPins() {
    const pin = pinned();
    doc.querySelectorAll('[data-pin-trace]').forEach((b) => {
      const on = pin !== null && b.getAttribute('data-pin-trace') === pin;
      b.hidden = pin === null;
      b.setAttribute('aria-pressed', String(on));
      b.textContent = on ? 'Pinned' : 'Pin';
      b.title = on ? 'Unpin this trace' : 'Pin this trace, then compare a later run with it';
    });
    doc.querySelectorAll('[data-compare-trace]').forEach((a) => {
      const id = a.getAttribute('data-compare-trace');
      const show = !!pin && TRACE_ID.test(id) && id !== pin;
      a.hidden = !show;
      if (show) a.href = '/traces/compare?' + new URLSearchParams({ a: pin, b: id });
      else a.removeAttribute('href');
    });
  }
  function togglePin(btn) {
    const id = btn.getAttribute('data-pin-trace');
    if (!TRACE_ID.test(id)) return;
    try {
      if (sessionStorage.getItem(PIN_KEY) === id) sessionStorage.removeItem(PIN_KEY);
      else sessionStorage.setItem(PIN_KEY, id);
    } catch (_) { /* storage off: nowhere to keep it */ }
    syncPins();
  }

  doc.addEventListener('click', (e) => {
    if (e.defaultPrevented || !(e.target instanceof Element)) return;
    const btn = e.target.closest('[data-pin-trace]');
    if (btn) togglePin(btn);
  });
  doc.addEventListener('htmx:afterSwap', syncPins);
  // A page restored from the back/forward cache may show a pin made on another page since.
  window.addEventListener('pageshow', (e) => { if (e.persisted) syncPins(); });
  syncPins();
})();

// Scroll regions a keyboard can reach: a table or code block wider or
// taller than its pane scrolls inside it, and only an element that takes
// the focus can be scrolled from the keyboard. The ones that overflow get
// a tab stop (and lose it when they no longer do), so a phone gets them
// and a projector, where the same table fits, does not.
(function () {
  'use strict';

  const doc = document;
  const SCROLLERS = 'table.data, pre';
  const MARK = 'data-scroll-stop'; // a tab stop this script gave, not the template

  function mark(root) {
    root.querySelectorAll(SCROLLERS).forEach((el) => {
      const given = el.hasAttribute(MARK);
      if (el.hasAttribute('tabindex') && !given) return; // the template's own choice
      const over = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (over && !given) {
        el.setAttribute('tabindex', '0');
        el.setAttribute(MARK, '');
      } else if (!over && given) {
        el.removeAttribute('tabindex');
        el.removeAttribute(MARK);
      }
    });
  }

  doc.addEventListener('htmx:afterSwap', (e) => mark(e.target instanceof Element ? e.target : doc));
  let resized = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resized);
    resized = setTimeout(() => mark(doc), 200);
  });
  mark(doc);
})();
