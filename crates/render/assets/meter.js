// The meter: a metered story's cached page holds its preview and the register prompt. This asks for the rest
// (POST /members/meter/{id}, which counts the story in the reader's meter cookie) and puts it in place, turning the
// prompt into a note of the free stories left; once they are spent the prompt stays and says so. Without this
// script the reader keeps the preview and the prompt, never the whole story.
(function () {
  "use strict";
  var slot = document.querySelector(".metered-content[data-meter]");
  var wall = document.querySelector(".meter-wall");
  if (!slot || !wall) return;
  var heading = wall.querySelector("h2");
  var text = wall.querySelector(".paywall-text");
  fetch(slot.getAttribute("data-meter"), {
    method: "POST",
    headers: { "Accept": "application/json" },
    credentials: "same-origin",
  }).then(function (r) {
    return r.json().then(function (j) { return { ok: r.ok, body: j }; });
  }).then(function (res) {
    if (res.ok && typeof res.body.html === "string") {
      slot.innerHTML = res.body.html;
      if (res.body.message) {
        wall.classList.add("is-open");
        heading.textContent = res.body.message;
        if (text) text.hidden = true;
      } else {
        wall.hidden = true;
      }
    } else if (res.body && res.body.message) {
      heading.textContent = res.body.message;
    }
  }).catch(function () { /* the preview and the prompt stay */ });
})();
