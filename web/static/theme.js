// Engine Room: apply the visitor's chosen theme, and presenter mode on the
// pages that have it, before the first paint, so a reload does not flash
// the other layout. Loaded without defer in <head>; app.js and present.js
// do the rest.
(function () {
  'use strict';
  var root = document.documentElement;
  function stored(key) {
    try { return localStorage.getItem(key); } catch (_) { return null; } // storage off
  }
  var t = stored('er-theme');
  if (t === 'light' || t === 'dark') root.dataset.theme = t;
  if (root.hasAttribute('data-presentable')) {
    var asked = /[?&]present=([01])(?:&|$)/.exec(location.search);
    root.classList.toggle('present', asked ? asked[1] === '1' : stored('er-present') === '1');
  }
})();
