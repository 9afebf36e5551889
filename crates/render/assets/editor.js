// Newsdesk editor: live Markdown preview (rendered by the server, so it matches the page exactly) and autosave of
// drafts. The editor works without this script; it only saves typing and clicks.
(function () {
  "use strict";
  const form = document.getElementById("editor");
  if (!form) return;
  const body = document.getElementById("f-body");
  const preview = document.getElementById("preview");
  const state = document.getElementById("save-state");
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  let previewTimer = null, saveTimer = null, saving = false, dirty = false;

  function refreshPreview() {
    fetch("/admin/preview", {
      method: "POST",
      headers: { "Content-Type": "text/markdown; charset=utf-8", "X-CSRF-Token": csrf },
      body: body.value,
      credentials: "same-origin",
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) preview.innerHTML = html; })
      .catch(function () {});
  }

  function autosave() {
    if (saving || form.dataset.autosave !== "on") return;
    if (!form.querySelector('[name="title"]').value.trim()) return;
    saving = true; dirty = false;
    const data = new FormData(form);
    data.delete("feature_image");
    fetch("/admin/posts/autosave", { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok) {
          form.querySelector('[name="id"]').value = res.j.id;
          form.querySelector('[name="revision"]').value = res.j.revision;
          if (!/\/edit$/.test(form.getAttribute("action"))) {
            form.setAttribute("action", "/admin/posts/" + res.j.id + "/edit");
            history.replaceState(null, "", "/admin/posts/" + res.j.id + "/edit");
          }
          state.textContent = "Draft saved at " + new Date().toLocaleTimeString();
        } else {
          state.textContent = "Not saved: " + (res.j.message || "error");
        }
      })
      .catch(function () { state.textContent = "Not saved: offline?"; })
      .finally(function () { saving = false; if (dirty) schedule(); });
  }

  function schedule() { clearTimeout(saveTimer); saveTimer = setTimeout(autosave, 3000); }

  body.addEventListener("input", function () { clearTimeout(previewTimer); previewTimer = setTimeout(refreshPreview, 250); });
  form.addEventListener("input", function (e) { if (e.target.type !== "file") { dirty = true; schedule(); } });
  const del = document.getElementById("delete-form");
  if (del) del.addEventListener("submit", function (e) { if (!confirm(del.dataset.confirm)) e.preventDefault(); });
})();
