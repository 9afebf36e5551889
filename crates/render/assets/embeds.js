// Embedded videos, posts, maps and documents load nothing from their provider until the reader asks: each
// preview gets a "Load … here" button that puts the provider's player in its place. Without this script the
// preview's link still opens the original.
(function () {
  "use strict";
  document.querySelectorAll("figure.embed[data-embed-src]").forEach(function (fig) {
    var preview = fig.querySelector(".embed-preview");
    var actions = fig.querySelector(".embed-actions");
    if (!preview || !actions) return;
    var provider = (fig.querySelector(".embed-provider") || {}).textContent || "the provider";
    var title = (fig.querySelector(".embed-title") || {}).textContent || provider;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "embed-load";
    button.textContent = "Load " + provider + " here";
    button.addEventListener("click", function () {
      var frame = document.createElement("iframe");
      frame.src = fig.getAttribute("data-embed-src");
      frame.title = title;
      frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
      frame.setAttribute("allowfullscreen", "");
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-presentation");
      var box = document.createElement("div");
      box.className = "embed-frame";
      box.style.paddingTop = (parseInt(fig.getAttribute("data-embed-ratio"), 10) || 5625) / 100 + "%";
      box.appendChild(frame);
      preview.replaceWith(box);
      frame.focus();
    });
    actions.insertBefore(button, actions.firstChild);
  });
})();
