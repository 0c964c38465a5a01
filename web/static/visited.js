// Engine Room: remember which lessons this browser has opened and mark them on the curriculum (the
// home page's lesson cards, a lesson's map) with a check mark and a hidden "visited" for screen
// readers. The list stays in localStorage and is never sent to the server; without this script, or
// with storage switched off, nothing is marked.
(function () {
  'use strict';

  const doc = document;
  const KEY = 'er-visited';
  const SLUG = /^[a-z0-9-]{1,80}$/;
  const MAX = 200; // far more than there are lessons: a bound on what a page can be made to store

  function load() {
    try {
      const list = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(list) ? list.filter((s) => typeof s === 'string' && SLUG.test(s)) : [];
    } catch (_) {
      return []; // storage off, or not our JSON
    }
  }

  const visited = load();
  const here = /^\/lessons\/([^/]+)\/?$/.exec(location.pathname);
  if (here && SLUG.test(here[1]) && !visited.includes(here[1])) {
    visited.push(here[1]);
    try { localStorage.setItem(KEY, JSON.stringify(visited.slice(-MAX))); } catch (_) { /* storage off */ }
  }

  const seen = new Set(visited);
  doc.querySelectorAll('a[data-lesson]').forEach((a) => {
    // The lesson being read says "you are here" instead.
    if (!seen.has(a.dataset.lesson) || a.getAttribute('aria-current') === 'page' || a.classList.contains('is-visited')) return;
    a.classList.add('is-visited');
    const mark = doc.createElement('span');
    mark.className = 'visited-mark';
    const check = doc.createElement('span');
    check.setAttribute('aria-hidden', 'true');
    check.textContent = '✓';
    const word = doc.createElement('span');
    word.className = 'vh';
    word.textContent = ' visited';
    mark.append(check, word);
    a.append(mark);
  });
})();
