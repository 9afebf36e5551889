// Live News Feed: new, edited and retracted items arrive over server-sent events and replace or join the list.
// The page is complete without this script; it only saves readers a reload. EventSource reconnects by itself and
// sends Last-Event-ID, so items posted while the connection was down are replayed.
(function () {
  "use strict";
  var list = document.getElementById("news-feed-list");
  if (!list || !window.EventSource) return;
  var max = parseInt(list.getAttribute("data-max") || "8", 10);
  var source = new EventSource("/news-feed/events?after=" + encodeURIComponent(list.getAttribute("data-after") || "0"));
  source.addEventListener("feed-item", function (e) {
    var data = JSON.parse(e.data);
    var tpl = document.createElement("template");
    tpl.innerHTML = data.html.trim();
    var node = tpl.content.firstElementChild;
    if (!node) return;
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
  });
})();
