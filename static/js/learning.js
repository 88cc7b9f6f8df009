// The log form's suggestions (issue 24): as the agent types the title and description, ask
// /learning/suggest/ what the model suggests and offer each value as a button that fills the form.
// Progressive enhancement only: without this file the form is exactly as before.
(function () {
  "use strict";

  var box = document.getElementById("learning-suggestions");
  var title = document.getElementById("id_title");
  var description = document.getElementById("id_description");
  if (!box || !title || !box.dataset.url) return;
  var channel = document.getElementById("id_channel");
  var fields = ["category", "service", "assignment_group", "priority"];
  var timer = null;
  var last = "";

  function setSelect(name, value) {
    var el = document.getElementById("id_" + name);
    if (!el) return false;
    el.value = String(value);
    el.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function apply(choice) {
    // The category first: its change filters the subcategories, then the subcategory is set.
    ["category", "subcategory", "service", "impact", "urgency"].forEach(function (name) {
      if (Object.prototype.hasOwnProperty.call(choice.apply, name)) setSelect(name, choice.apply[name]);
    });
  }

  function render(data) {
    box.replaceChildren();
    var shown = fields.filter(function (f) { return data.fields && data.fields[f] && data.fields[f].length; });
    if (!shown.length) return;
    var card = document.createElement("div");
    card.className = "border rounded p-2 mb-3";
    var head = document.createElement("p");
    head.className = "small text-body-secondary mb-1";
    head.textContent = box.dataset.heading;
    card.appendChild(head);
    shown.forEach(function (f) {
      var row = document.createElement("div");
      row.className = "d-flex flex-wrap align-items-center gap-1 mb-1";
      var label = document.createElement("span");
      label.className = "small fw-semibold me-1";
      label.textContent = box.dataset["label_" + f] || f;
      row.appendChild(label);
      data.fields[f].forEach(function (choice, i) {
        var pct = Math.round(choice.confidence * 100) + " %";
        var appliable = Object.keys(choice.apply).some(function (n) { return document.getElementById("id_" + n); });
        var el = document.createElement(appliable ? "button" : "span");
        el.className = appliable
          ? "btn btn-sm " + (i === 0 ? "btn-outline-primary" : "btn-outline-secondary")
          : "badge text-bg-light border";
        el.textContent = choice.label + " · " + pct;
        el.dataset.field = f;
        if (appliable) {
          el.type = "button";
          el.title = box.dataset.applyHint;
          el.addEventListener("click", function () { apply(choice); });
        }
        row.appendChild(el);
      });
      card.appendChild(row);
    });
    box.appendChild(card);
  }

  function ask() {
    var query = new URLSearchParams({
      title: title.value,
      description: description ? description.value.slice(0, 4000) : "",
      channel: channel ? channel.value : ""
    }).toString();
    if (query === last) return;
    last = query;
    if (!title.value.trim() && !(description && description.value.trim())) { box.replaceChildren(); return; }
    fetch(box.dataset.url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && query === last) render(data); })
      .catch(function () { /* suggestions are a help, never in the way */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  }

  title.addEventListener("input", later);
  if (description) description.addEventListener("input", later);
  if (channel) channel.addEventListener("change", later);
  if (title.value) ask();
})();
