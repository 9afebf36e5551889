// Newsletter forms without a page reload: the same POST, answered as JSON, with the message shown beside the
// field. Without this script the form still works (the server answers with the page and the message).
(function () {
  "use strict";
  document.querySelectorAll("form.signup-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var message = form.querySelector(".signup-message");
      var email = form.querySelector('input[type="email"]');
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString(),
        credentials: "same-origin",
      }).then(function (r) { return r.json(); }).then(function (j) {
        message.textContent = j.message;
        message.classList.toggle("is-error", !j.ok);
        email.setAttribute("aria-invalid", j.ok ? "false" : "true");
        if (j.ok) form.reset();
      }).catch(function () {
        message.textContent = "Something went wrong; please try again.";
        message.classList.add("is-error");
      }).finally(function () { button.disabled = false; });
    });
  });
})();
