// The case page's timeline refreshes itself as events arrive (htmx, every 2 s), and it holds the
// forms acting on the case. A form someone has begun to fill in there — a note typed, a file
// chosen, a score ticked — is not replaced under their hands: the refresh waits until it is sent,
// and a line says the case has moved on meanwhile.
(function () {
  function changed(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") return false;
    if (field.type === "file") return field.files.length > 0;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var timeline = event.detail.target;
    if (!timeline || timeline.id !== "timeline" || event.detail.xhr.status !== 200) return;
    var fields = timeline.querySelectorAll("form input, form textarea, form select");
    if (!Array.prototype.some.call(fields, changed)) return;
    event.detail.shouldSwap = false;
    var moved = document.getElementById("timeline-moved");
    if (moved) moved.hidden = false;
  });
})();
