// Results as you type on /search/: the same GET the form sends, its results section swapped in, the address
// kept in step (so Back and sharing work). Without this script the form still works (Enter loads the page).
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  var results = document.getElementById("search-results");
  if (!form || !results || !window.fetch || !window.DOMParser) return;
  var timer = null, controller = null, last = location.search;

  function target() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      value = String(value).trim();
      if (value && !(key === "sort" && value === "relevance")) params.append(key, value);
    });
    var q = params.toString();
    return q ? "?" + q : "";
  }

  function update() {
    var query = target();
    if (query === last) return;
    last = query;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    results.setAttribute("aria-busy", "true");
    fetch(form.action + query, {
      headers: { "Accept": "text/html" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    }).then(function (r) { return r.text(); }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var fresh = page.getElementById("search-results");
      if (!fresh) return;
      results.innerHTML = fresh.innerHTML;
      document.title = page.title;
      history.replaceState(null, "", form.action + query);
    }).catch(function () { /* aborted by a newer keystroke, or offline: the form still submits */ })
      .finally(function () { results.setAttribute("aria-busy", "false"); });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 220);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
