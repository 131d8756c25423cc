// The dashboard's only script (under the page's CSP nonce); every action works without it.
(function () {
  "use strict";
  // Times in the browser's own time zone.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (!isNaN(at)) { el.textContent = at.toLocaleString(); el.title = el.getAttribute("datetime"); }
  });
  // Copy buttons: data-copy names the element whose text to copy.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });
  });
  // The template editor's live preview: typing presses "Preview changes" (which posts the draft
  // into the preview frame) once the typing pauses.
  var previewDraft = document.getElementById("preview-draft");
  var editor = document.getElementById("edit-template");
  if (previewDraft && editor && document.getElementById("preview-html")) {
    var pending = null;
    editor.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { editor.requestSubmit(previewDraft); }, 500);
    });
  }
})();
