// The emulator console: every POST form carries the session's CSRF token (a form rendered without the
// hidden field, e.g. a new section, gets it here).
document.addEventListener("DOMContentLoaded", function () {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (!token) return;
  document.querySelectorAll('form[method="post"], form[method="POST"]').forEach(function (form) {
    if (form.querySelector('input[name="csrf_token"]')) return;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "csrf_token"; input.value = token.content;
    form.appendChild(input);
  });
});
