/* The flow page: open the step named in the URL (#step-<id>) and "copy as curl". */
(function () {
  "use strict";

  function openFromHash() {
    var m = /^#step-(\d+)$/.exec(window.location.hash);
    if (!m) return;
    var item = document.getElementById("step-" + m[1]);
    if (!item) return;
    var details = item.querySelector("details");
    if (details) details.open = true;
    item.classList.add("targeted");
    item.scrollIntoView({block: "center"});
  }

  function copied(button, ok) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) status.textContent = ok ? button.dataset.copied : button.dataset.failed;
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".copy-curl") : null;
    if (!button) return;
    var pre = document.getElementById(button.dataset.target);
    if (!pre) return;
    var text = pre.textContent;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); },
                                               function () { selectText(pre); copied(button, false); });
    } else {
      selectText(pre);
      copied(button, false);
    }
  });

  window.addEventListener("hashchange", openFromHash);
  openFromHash();
})();
