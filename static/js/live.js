// The live workspace (live/views.py): the page holds one feed request open; when it answers with
// a change the page shows, the page fetches itself again and swaps its live regions
// ([data-live-region], matched by id), keeping the reader's scroll, selection and typing.
// Progressive enhancement only: without this file every page still works by reloading.
(function () {
  "use strict";
  var feedMeta = document.querySelector('meta[name="live-feed"]');
  if (!feedMeta || !window.fetch) return;
  var feedUrl = feedMeta.content;
  var presenceUrl = document.querySelector('meta[name="live-presence"]').content;
  var since = document.querySelector('meta[name="live-since"]').content;
  var root = document.documentElement;
  var scope = document.querySelector("[data-live-scope]");
  var incident = scope && scope.dataset.liveScope === "incident" ? scope.dataset.liveNumber : "";
  var portal = scope && scope.dataset.liveScope === "portal" ? scope.dataset.liveNumber : "";
  var queue = scope && scope.dataset.liveScope === "queue";
  // A page of lists (a queue, the dashboard's breached and at-risk lists) re-reads itself when a
  // row may have come, gone or moved.
  var listing = queue || (scope && scope.dataset.liveScope === "dashboard");
  var statusBox = document.getElementById("live-status");
  // Kinds of change that move a row into or out of a queue it is not in yet.
  var ROW_MOVES = ["created", "assigned", "escalated", "held", "resumed", "resolved", "reopened",
    "closed", "cancelled", "updated", "started", "sla_threshold", "ola_threshold", "major_declared"];
  var cursor = null, notified = null, failures = 0, typing = false, seen = {}, refreshing = null;
  // The saved views in the navigation: their counts are pushed on this feed (viewsTag: what is shown).
  var navViews = document.querySelector("[data-live-views]");
  var viewsTag = "";

  function setState(state) {
    root.dataset.liveState = state;
    if (!statusBox) return;
    statusBox.querySelectorAll("[data-live-message]").forEach(function (el) {
      el.classList.toggle("d-none", el.dataset.liveMessage !== state);
    });
    statusBox.classList.toggle("d-none", state === "connected" || state === "connecting");
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function shownNumbers() {
    return Array.prototype.map.call(document.querySelectorAll("[data-live-region] tr[data-number]"), function (el) {
      return el.dataset.number;
    }).slice(0, 200);
  }

  function query() {
    var p = new URLSearchParams();
    if (cursor === null) p.set("since", since); else p.set("after", cursor);
    if (notified !== null) p.set("notified", notified);
    if (incident) p.set("incident", incident);
    if (portal) p.set("portal", portal);
    if (queue) p.set("shown", shownNumbers().join(","));
    if (listing) p.set("scope", scope.dataset.liveScope);
    if (typing) p.set("typing", "1");
    if (navViews) p.set("views", viewsTag);
    return p.toString();
  }

  // --- swapping the live regions ----------------------------------------------------------------

  function dirty(region) {
    return Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), function (f) {
      if (f.type === "hidden") return false;
      if (f.type === "checkbox" || f.type === "radio") return f.checked !== f.defaultChecked;
      if (f.tagName === "SELECT") {
        return Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return f.value !== f.defaultValue;
    });
  }

  function swap(region, fresh) {
    var focused = region.contains(document.activeElement) && document.activeElement.id;
    // A queue row has no id: the keyboard's selection (keys.js) follows its incident's number.
    var row = region.contains(document.activeElement) && document.activeElement.closest("tr[data-number]");
    var selected = region.querySelector("tr[data-number].table-active");
    var rowFocused = row && !focused ? row.dataset.number : null;
    var rowSelected = selected ? selected.dataset.number : null;
    // A queue row's box is "number:version": the selection follows the incident to its new version.
    function key(box) { return box.name + "=" + box.value.split(":")[0]; }
    var checked = {};
    region.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) { checked[key(box)] = true; });
    var open = {};
    region.querySelectorAll("details[open][data-action]").forEach(function (d) { open[d.dataset.action] = true; });
    region.innerHTML = fresh.innerHTML;
    region.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (checked[key(box)]) box.checked = true;
    });
    region.querySelectorAll("details[data-action]").forEach(function (d) { d.open = !!open[d.dataset.action]; });
    if (window.htmx) window.htmx.process(region);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    function rowOf(number) {
      return number && region.querySelector('tr[data-number="' + CSS.escape(number) + '"]');
    }
    if (rowOf(rowSelected)) rowOf(rowSelected).classList.add("table-active");
    var link = rowOf(rowFocused) && rowOf(rowFocused).querySelector("a");
    if (link) link.focus();
  }

  function refresh() {
    if (refreshing) { refreshing.again = true; return refreshing.promise; }
    var state = {again: false};
    refreshing = state;
    state.promise = fetch(window.location.href, {credentials: "same-origin", headers: {"X-Live-Refresh": "1"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var fresh = doc.getElementById(region.id);
          if (!fresh) return;
          if (region.dataset.liveRegion === "guarded" && dirty(region)) {
            region.dataset.liveStale = "1";
            return;
          }
          delete region.dataset.liveStale;
          swap(region, fresh);
        });
        document.dispatchEvent(new CustomEvent("live:refreshed", {detail: {doc: doc}}));
      })
      .catch(function () {})
      .then(function () {
        refreshing = null;
        if (state.again) refresh();
      });
    return state.promise;
  }

  // --- the saved views and their counts -------------------------------------------------------

  function showViews(views) {
    var list = navViews.querySelector("[data-live-views-list]");
    var shared = navViews.querySelector("template[data-live-views-shared]").innerHTML.trim();
    list.textContent = "";
    views.forEach(function (v) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "dropdown-item d-flex justify-content-between gap-3";
      link.href = v.url;
      link.dataset.testid = "nav-view";
      var name = document.createElement("span");
      name.textContent = v.name;
      if (v.shared) name.insertAdjacentHTML("beforeend", " " + shared);
      var badge = document.createElement("span");
      badge.className = "badge text-bg-secondary";
      badge.dataset.testid = "nav-view-count";
      badge.textContent = v.count;
      link.appendChild(name);
      link.appendChild(badge);
      item.appendChild(link);
      list.appendChild(item);
      // The queue page's own bar of views shows the same counts.
      document.querySelectorAll('[data-view-id="' + v.id + '"][data-testid="saved-view-count"]').forEach(function (el) {
        el.textContent = v.count;
      });
    });
    navViews.classList.toggle("d-none", !views.length);
  }

  // --- what the feed says ----------------------------------------------------------------------

  function handle(data) {
    var fresh = (data.changes || []).filter(function (c) {
      if (seen[c.id]) return false;
      seen[c.id] = true;
      return true;
    });
    cursor = data.cursor;
    notified = data.notified;
    Object.keys(seen).forEach(function (id) { if (Number(id) < cursor - 256) delete seen[id]; });
    if (data.bell) document.body.dispatchEvent(new CustomEvent("livebell"));
    if (navViews && data.views) { viewsTag = data.views_tag; showViews(data.views); }
    if (data.present) document.dispatchEvent(new CustomEvent("live:present", {detail: data.present}));
    if (queue && data.unseen) refresh();
    if (!fresh.length) return;
    document.dispatchEvent(new CustomEvent("live:changes", {detail: fresh}));
    var shown = queue ? shownNumbers() : [];
    var wanted = fresh.some(function (c) {
      if (!listing) return !!scope;
      return shown.indexOf(c.incident) !== -1 || (c.kind && ROW_MOVES.indexOf(c.kind) !== -1);
    });
    if (wanted) refresh();
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, 60000);
    fetch(feedUrl + "?" + query(), {credentials: "same-origin", headers: {"Accept": "application/json"},
                                    signal: controller && controller.signal})
      .then(function (r) {
        if (r.status === 403 || r.status === 404) { setState("stopped"); return null; }
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        if (timer) clearTimeout(timer);
        if (data === null) return;
        var wasDown = failures > 0;
        failures = 0;
        setState("connected");
        handle(data);
        if (wasDown) refresh();  // catch up on the page as a whole, whatever the feed still knew
        if (data.again_in) {
          // The server holds as many waiting pages as it may: ask again later, not all at once.
          retry = setTimeout(poll, data.again_in * 1000 * (0.8 + Math.random() * 0.4));
        } else {
          poll();
        }
      })
      .catch(function () {
        if (timer) clearTimeout(timer);
        failures += 1;
        setState("offline");
        // 1, 2, 4 ... 30 s, with some jitter so that pages do not come back all at once.
        var delay = Math.min(30000, 1000 * Math.pow(2, failures - 1)) * (0.8 + Math.random() * 0.4);
        retry = setTimeout(poll, delay);
      });
  }
  var retry = null;
  window.addEventListener("online", function () {
    if (failures > 0 && retry) { clearTimeout(retry); retry = null; poll(); }
  });

  // --- presence: typing on an incident page, and leaving it ----------------------------------

  function sendPresence(state) {
    var body = new FormData();
    body.set("incident", incident);
    body.set("state", state);
    body.set("csrfmiddlewaretoken", csrfToken());
    if (state === "left" && navigator.sendBeacon) { navigator.sendBeacon(presenceUrl, body); return; }
    fetch(presenceUrl, {method: "POST", body: body, credentials: "same-origin"}).catch(function () {});
  }

  if (incident) {
    var idleTimer = null;
    document.addEventListener("input", function (event) {
      if (!event.target.closest("form")) return;
      if (!typing) { typing = true; sendPresence("typing"); }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () { typing = false; sendPresence("viewing"); }, 8000);
    });
    window.addEventListener("pagehide", function () { sendPresence("left"); });
  }

  // --- an incident page: who else is here, and a colleague's change while you write -------------

  var liveIncident = document.getElementById("live-incident");
  if (liveIncident) {
    var me = liveIncident.dataset.liveMe;
    var presenceBox = liveIncident.querySelector("[data-live-presence]");
    var typingWord = liveIncident.querySelector("template[data-live-typing]").innerHTML.trim();
    var collisionBox = liveIncident.querySelector("[data-live-collision]");
    var collisionList = liveIncident.querySelector("[data-live-collision-list]");
    var pending = [], latestDoc = null;

    document.addEventListener("live:present", function (event) {
      presenceBox.querySelector("[data-live-people]").textContent = event.detail.map(function (p) {
        return p.typing ? p.name + " (" + typingWord + ")" : p.name;
      }).join(", ");
      presenceBox.classList.toggle("d-none", !event.detail.length);
    });
    document.addEventListener("live:changes", function (event) {
      event.detail.forEach(function (c) { if (String(c.actor_id) !== me) pending.push(c); });
    });
    document.addEventListener("live:refreshed", function (event) {
      latestDoc = event.detail.doc;
      if (!document.querySelector("[data-live-stale]")) {
        pending = [];
        collisionBox.classList.add("d-none");
        return;
      }
      collisionList.textContent = "";
      pending.forEach(function (c) {
        var item = document.createElement("li");
        item.textContent = (c.actor || "—") + ": " + c.label + (c.fields && c.fields.length ? " (" + c.fields.join(", ") + ")" : "");
        collisionList.appendChild(item);
      });
      collisionBox.classList.remove("d-none");
    });
    // Carry what the user typed onto the new version of the forms (their hidden version fields
    // come from the new page), field by field, matched by form and name.
    collisionBox.querySelector("[data-live-merge]").addEventListener("click", function () {
      if (!latestDoc) return;
      document.querySelectorAll("[data-live-stale]").forEach(function (region) {
        var fresh = latestDoc.getElementById(region.id);
        if (!fresh) return;
        var typed = [];
        region.querySelectorAll("form").forEach(function (form) {
          Array.prototype.forEach.call(form.elements, function (f) {
            if (!f.name || f.type === "hidden" || f.type === "file" || f.name === "csrfmiddlewaretoken") return;
            var value = f.type === "checkbox" || f.type === "radio" ? f.checked : f.value;
            typed.push({action: form.getAttribute("action"), name: f.name, value: value, type: f.type, own: f.value});
          });
        });
        delete region.dataset.liveStale;
        swap(region, fresh);
        typed.forEach(function (t) {
          var form = region.querySelector('form[action="' + t.action + '"]');
          if (!form) return;
          Array.prototype.forEach.call(form.elements, function (f) {
            if (f.name !== t.name) return;
            if (t.type === "checkbox" || t.type === "radio") { if (f.value === t.own) f.checked = t.value; }
            else f.value = t.value;
          });
        });
      });
      pending = [];
      collisionBox.classList.add("d-none");
    });
  }

  window.liveWorkspace = {refresh: refresh};
  setState("connecting");
  poll();
})();
