// Live News Feed: new, edited and retracted items arrive over server-sent events and replace or join the list.
// The page is complete without this script; it only saves readers a reload. EventSource reconnects by itself and
// sends Last-Event-ID, so items posted while the connection was down are replayed.
(function () {
  "use strict";
  var list = document.getElementById("news-feed-list");
  if (!list || !window.EventSource) return;
  var max = parseInt(list.getAttribute("data-max") || "8", 10);
  function connect() {
    var source = new EventSource("/news-feed/events?after=" + encodeURIComponent(list.getAttribute("data-after") || "0"));
    source.addEventListener("feed-item", onItem);
  }
  function onItem(e) {
    var data = JSON.parse(e.data);
    var tpl = document.createElement("template");
    tpl.innerHTML = data.html.trim();
    var node = tpl.content.firstElementChild;
    if (!node) return;
    // Items arrive with the sidebar's heading level; a page that lists them under its h1 uses h2.
    var level = list.getAttribute("data-heading");
    var h = node.querySelector(".feed-headline");
    if (level && h && h.tagName.toLowerCase() !== level) {
      var replacement = document.createElement(level);
      replacement.className = h.className;
      replacement.innerHTML = h.innerHTML;
      h.replaceWith(replacement);
    }
    var old = document.getElementById("feed-" + data.id);
    if (old) {
      old.replaceWith(node);
    } else {
      var empty = list.querySelector(".feed-empty");
      if (empty) empty.remove();
      list.insertBefore(node, list.firstChild);
      while (list.children.length > max) list.removeChild(list.lastElementChild);
    }
    node.classList.add("just-in");
  }
  // Connect after the page has loaded: a stream opened earlier keeps the browser's loading indicator spinning.
  if (document.readyState === "complete") connect();
  else window.addEventListener("load", function () { setTimeout(connect, 0); });
})();
