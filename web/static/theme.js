// Engine Room: apply the visitor's chosen theme before the first paint.
// Loaded without defer in <head>; app.js does the rest.
(function () {
  'use strict';
  try {
    var t = localStorage.getItem('er-theme');
    if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  } catch (_) { /* storage off: follow the OS */ }
})();
