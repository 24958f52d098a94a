// The live command console: one map, the queue, the intake form and the selected incident.
// Everything comes from the JSON API; the /events/ stream says what changed (ids and statuses)
// and the page refetches details. Unit markers move and change colour straight from the stream.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const T = cfg.labels;
  const root = document.getElementById("console");
  const STATUS_COLOR = {
    off_duty: "#9e9e9e", available: "#2e7d32", dispatched: "#ef6c00",
    en_route: "#f9a825", on_scene: "#c62828", returning: "#00838f",
  };
  const ROUTE_COLOR = ["#6a1b9a", "#1565c0", "#00897b", "#8d6e63", "#546e7a"];
  const live = (window.jingwuLive = { unitEvents: 0, incidentEvents: 0, connected: false });
  const state = { units: new Map(), queue: [], selected: null, detail: null, point: null, key: null, reassign: null };

  // ---------- small helpers ----------
  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function api(path, opts = {}) {
    const headers = { "Content-Type": "application/json", "X-CSRFToken": csrf(), ...(opts.headers || {}) };
    const r = await fetch("/api/v1" + path, { credentials: "same-origin", ...opts, headers });
    const body = await r.json().catch(() => null);
    if (!r.ok) {
      const msg = body && body.detail ? body.detail.map((d) => d.msg).join("；") : r.statusText;
      throw Object.assign(new Error(msg), { status: r.status, body });
    }
    return body;
  }
  const post = (path, body, headers) => api(path, { method: "POST", body: JSON.stringify(body || {}), headers });
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function clock(sec) {
    if (sec == null || !isFinite(sec)) return "–";
    sec = Math.max(0, Math.round(sec));
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }
  const hm = (iso) => (iso ? new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "");
  const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

  // ---------- map and layers ----------
  const map = L.map("live-map", { zoomSnap: 0.25, preferCanvas: false });
  live.map = map; // for browser tests and the curious
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { maxZoom: 19 }).addTo(map);
  map.fitBounds(L.latLngBounds([[26.05, 119.28], [26.19, 119.41]]));
  const canvas = L.canvas({ padding: 0.3 });
  const layers = {
    areas: L.layerGroup().addTo(map),
    streets: L.layerGroup().addTo(map),
    cameras: L.layerGroup(),
    units: L.layerGroup().addTo(map),
    incidents: L.layerGroup().addTo(map),
    routes: L.layerGroup().addTo(map),
    search: L.layerGroup().addTo(map),
  };
  L.control.layers(null, {
    [T.workstations]: layers.areas, [T.streets]: layers.streets, [T.camera_layer]: layers.cameras,
    [T.units]: layers.units, [T.incidents]: layers.incidents, [T.routes]: layers.routes,
    [T.search_area]: layers.search,
  }, { collapsed: true }).addTo(map);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const d = L.DomUtil.create("div", "legend");
    d.innerHTML = Object.entries(STATUS_COLOR).map(([k, c]) => `<i style="background:${c}"></i>${esc(cfg.unit_statuses[k])}`).join("<br>");
    return d;
  };
  legend.addTo(map);
  let pickMarker = null;

  function loadAreas() {
    return Promise.all(["station", "workstation"].map((level) => api(`/areas/geojson?level=${level}`))).then(([st, ws]) => {
      L.geoJSON(st, { style: { color: "#1565c0", weight: 1.5, fillOpacity: 0.03 }, interactive: false }).addTo(layers.areas);
      L.geoJSON(ws, {
        style: { color: "#d84315", weight: 2, fillOpacity: 0, dashArray: "6 4" }, interactive: false,
        onEachFeature: (f) => {
          if (!f.properties.post) return;
          const [lon, lat] = f.properties.post;
          L.circleMarker([lat, lon], { radius: 6, color: "#d84315", fillColor: "#ff7043", fillOpacity: 1, className: "post", interactive: false })
            .bindTooltip(f.properties.name, { permanent: true, direction: "right", className: "post-label" }).addTo(layers.areas);
        },
      }).addTo(layers.areas);
      const b = L.geoJSON(st).getBounds();
      if (b.isValid()) map.fitBounds(b.pad(-0.05));
    });
  }
  function loadStreets() {
    const weight = { arterial: 2.2, main: 1.5, local: 0.8, path: 0.6 };
    const color = { arterial: "#e9a44a", main: "#cdb889", local: "#aab4be", path: "#c8ccd0" };
    return api("/units/streets").then((fc) => {
      L.geoJSON(fc, {
        renderer: canvas, interactive: false,
        style: (f) => ({ color: color[f.properties.class], weight: weight[f.properties.class], opacity: 0.9 }),
      }).addTo(layers.streets);
      layers.streets.eachLayer((l) => l.bringToBack && l.bringToBack());
    });
  }
  function loadCameras() {
    return api("/cameras").then((cams) => {
      cams.forEach((c) => L.circleMarker([c.lat, c.lon], { radius: 3, color: "#37474f", weight: 1, fillColor: "#90a4ae", fillOpacity: 1 })
        .bindTooltip(`${esc(c.code)} ${esc(c.name)}`).addTo(layers.cameras));
    });
  }

  // ---------- units (coloured by status; moved by the live stream) ----------
  function unitTip(u) {
    return `${esc(u.name)} · ${u.tier}${T.tier} · ${esc(cfg.modes[u.mode] || u.mode)}<br>${esc(cfg.unit_statuses[u.status] || u.status)}`;
  }
  function paintUnit(u) {
    let m = state.units.get(u.id);
    if (u.lat == null || u.lon == null) return;
    const color = STATUS_COLOR[u.status] || "#555";
    if (!m) {
      m = L.circleMarker([u.lat, u.lon], {
        radius: u.tier <= 2 ? 7 : 5.5, color: "#fff", weight: 1.5, fillColor: color, fillOpacity: 0.95, className: "unit-marker",
      }).addTo(layers.units);
      m.bindTooltip(unitTip(u));
      m.on("click", () => { if (u.current_incident_id) select(u.current_incident_id); });
      m.unit = u;
      state.units.set(u.id, m);
    } else {
      m.setLatLng([u.lat, u.lon]);
      m.setStyle({ fillColor: color });
      m.unit = { ...m.unit, ...u };
      m.setTooltipContent(unitTip(m.unit));
    }
    if (m._path) {
      m._path.dataset.unitId = u.id;
      m._path.dataset.status = u.status;
      m._path.setAttribute("fill", color);
    }
  }
  function loadUnits() {
    return api("/units").then((units) => units.forEach(paintUnit));
  }

  // ---------- the queue ----------
  const queueEl = document.getElementById("queue");
  const deskFilter = document.getElementById("desk-filter");
  const incidentMarkers = new Map();
  function incIcon(i) {
    const cls = ["inc-icon", i.priority, i.overdue ? "overdue" : "", state.selected === i.id ? "sel" : ""].join(" ");
    return L.divIcon({ className: "", html: `<div class="${cls}" data-incident-id="${i.id}"><span>${i.priority.slice(1)}</span></div>`, iconSize: [22, 22], iconAnchor: [11, 22] });
  }
  function elapsed(i) {
    if (i.on_scene_at) return (new Date(i.on_scene_at) - new Date(i.received_at)) / 1000;
    return (Date.now() - new Date(i.received_at)) / 1000;
  }
  function isOverdue(i) {
    return !i.on_scene_at && ["received", "dispatched", "en_route"].includes(i.status) && elapsed(i) > i.target_s;
  }
  function renderQueue() {
    const items = state.queue;
    document.getElementById("queue-count").textContent = items.length;
    if (!items.length) { queueEl.innerHTML = `<li><span class="empty">${esc(T.empty)}</span></li>`; }
    else {
      queueEl.innerHTML = items.map((i) => `
        <li data-id="${i.id}" class="${isOverdue(i) ? "overdue" : ""} ${state.selected === i.id ? "sel" : ""}">
          <span class="badge ${i.priority}">${i.priority}</span>
          <span><b>${esc(i.type_label)}</b> <span class="st ${i.status}">${esc(i.status_label)}</span></span>
          <span class="clock" data-received="${i.received_at}">${clock(elapsed(i))}</span>
          <span class="meta">${esc(i.number)} · ${esc(i.address || (i.grid && i.grid.name) || "")} · ${esc(i.workstation ? i.workstation.name : (i.station ? i.station.name : ""))}</span>
        </li>`).join("");
    }
    const seen = new Set();
    items.forEach((i) => {
      seen.add(i.id);
      let m = incidentMarkers.get(i.id);
      if (!m) {
        m = L.marker([i.lat, i.lon], { icon: incIcon(i), zIndexOffset: 1000 }).addTo(layers.incidents);
        m.on("click", (e) => { L.DomEvent.stopPropagation(e); select(i.id); });
        incidentMarkers.set(i.id, m);
      } else {
        m.setIcon(incIcon(i));
      }
      m.bindTooltip(`${esc(i.number)} ${esc(i.type_label)} · ${esc(i.status_label)}`);
    });
    for (const [id, m] of incidentMarkers) if (!seen.has(id) && id !== state.selected) { m.remove(); incidentMarkers.delete(id); }
  }
  function loadQueue() {
    const desk = deskFilter && deskFilter.value ? `&organization_id=${deskFilter.value}` : "";
    return api(`/incidents?open=true${desk}`).then((items) => { state.queue = items; renderQueue(); });
  }
  const refreshQueue = debounce(loadQueue, 120);
  queueEl.addEventListener("click", (e) => { const li = e.target.closest("li[data-id]"); if (li) select(Number(li.dataset.id)); });
  if (deskFilter) deskFilter.addEventListener("change", loadQueue);
  setInterval(() => {
    queueEl.querySelectorAll("li[data-id]").forEach((li) => {
      const i = state.queue.find((x) => x.id === Number(li.dataset.id));
      if (!i) return;
      li.querySelector(".clock").textContent = clock(elapsed(i));
      li.classList.toggle("overdue", isOverdue(i));
    });
  }, 1000);

  // ---------- the selected incident ----------
  const detailBox = document.getElementById("detail-box");
  const detailEl = document.getElementById("detail");
  async function select(id) {
    if (state.selected !== id) state.reassign = null;
    state.selected = id;
    renderQueue();
    await loadDetail();
  }
  async function loadDetail() {
    const id = state.selected;
    if (!id) { detailBox.hidden = true; return; }
    try {
      const [inc, tl] = await Promise.all([api(`/incidents/${id}`), api(`/incidents/${id}/timeline`)]);
      if (state.selected !== id) return;
      state.detail = inc;
      const dispatchable = inc.can_act && ["received", "dispatched", "en_route", "on_scene"].includes(inc.status);
      const recs = dispatchable ? await api(`/incidents/${id}/recommendations?routes=true`).catch(() => []) : [];
      if (state.selected !== id) return;
      renderDetail(inc, tl, recs);
      drawRoutes(inc, recs);
    } catch (err) {
      detailEl.innerHTML = `<p class="error">${esc(err.message)}</p>`;
      detailBox.hidden = false;
    }
  }
  const refreshDetail = debounce(loadDetail, 150);

  function renderDetail(inc, tl, recs) {
    detailBox.hidden = false;
    if (state.reassign && !inc.assignments.some((a) => a.id === state.reassign && a.status === "active")) state.reassign = null;
    const act = inc.can_act;
    const btn = (to, key, enabled, cls = "") => `<button type="button" class="small ${cls}" data-to="${to}" ${enabled && act ? "" : "disabled"} title="${key}">${esc(T[to])}（${key}）</button>`;
    const s = inc.status;
    const timing = inc.on_scene_at ? clock((new Date(inc.on_scene_at) - new Date(inc.received_at)) / 1000) : clock(elapsed(inc));
    detailEl.innerHTML = `
      <h3><span class="badge ${inc.priority}">${inc.priority}</span> ${esc(inc.type_label)} <span class="st ${s}" id="detail-status">${esc(inc.status_label)}</span>
        ${isOverdue(inc) ? `<span class="overdue-flag">${esc(T.overdue)}</span>` : ""}</h3>
      <dl>
        <dt>${esc(T.desk)}</dt><dd>${esc(inc.number)} · ${esc(inc.workstation ? inc.workstation.name : "")}${inc.grid ? " · " + esc(inc.grid.name) : ""}</dd>
        <dt>${esc(T.caller)}</dt><dd>${esc(inc.caller_name)} ${esc(inc.caller_phone)}</dd>
        <dt></dt><dd>${esc(inc.address)} ${esc(inc.description)}</dd>
        <dt>${esc(T.elapsed)}</dt><dd>${timing} / ${esc(T.target)} ${clock(inc.target_s)}</dd>
      </dl>
      <div class="actions">
        ${btn("en_route", "E", s === "dispatched")}
        ${btn("on_scene", "O", s === "dispatched" || s === "en_route")}
        ${btn("resolved", "R", s === "on_scene")}
        <select id="disp" aria-label="${esc(T.disposition)}" ${act && ["on_scene", "resolved"].includes(s) ? "" : "disabled"}>
          <option value="">${esc(T.disposition)}…</option>
          ${cfg.dispositions.map((d) => `<option value="${d.code}" ${inc.disposition === d.code ? "selected" : ""}>${esc(d.label)}</option>`).join("")}
        </select>
        ${btn("closed", "C", s === "resolved", "go")}
        ${btn("cancelled", "X", ["received", "dispatched", "en_route", "on_scene"].includes(s), "warn")}
      </div>
      <p class="error" id="detail-error" role="alert"></p>
      ${inc.assignments.length ? `<h4>${esc(T.assigned)}</h4><ul class="asg">${inc.assignments.map((a) => `
        <li data-assignment-id="${a.id}"><span class="grow">${esc(a.unit_name)} · ${esc(cfg.unit_statuses[a.unit_status] || a.unit_status)} · ${esc(a.status_label)}
          ${a.eta_seconds != null ? ` · ${esc(T.eta)} ${clock(a.eta_seconds)}` : ""}</span>
          ${a.status === "active" && act ? `<button type="button" class="small reassign${state.reassign === a.id ? " picking" : ""}" data-assignment-id="${a.id}" aria-pressed="${state.reassign === a.id}">${esc(T.reassign)}</button>
            <button type="button" class="small warn release" data-assignment-id="${a.id}">${esc(T.release)}</button>` : ""}</li>`).join("")}</ul>` : ""}
      ${state.reassign ? `<p class="hint" id="reassign-hint">${esc(T.reassign_pick)}</p>` : ""}
      ${["received", "dispatched", "en_route", "on_scene"].includes(s) && act ? `<h4>${esc(T.recs)}</h4>
        <ol class="recs" id="recs">${recs.length ? recs.map((r, n) => `
          <li data-unit-id="${r.unit_id}"><span class="eta" style="color:${ROUTE_COLOR[n % 5]}">${clock(r.eta_seconds)}</span>
            <span class="grow"><b>${esc(r.unit_name)}</b> ${r.tier}${esc(T.tier)} ${r.estimated ? `(${esc(T.estimated)})` : ""} ${r.stale ? `<em>${esc(T.stale)}</em>` : ""}
              <span class="why">${r.reasons.map(esc).join(" · ")}</span></span>
            <button type="button" class="small go assign" data-unit-id="${r.unit_id}" ${n === 0 ? 'title="A"' : ""}>${esc(state.reassign ? T.reassign_to : T.assign)}${n === 0 ? "（A）" : ""}</button></li>`).join("")
          : `<li>${esc(T.no_recs)}</li>`}</ol>` : ""}
      <div class="actions">
        <button type="button" class="small" id="btn-cams">${esc(T.cameras)}</button>
        ${inc.type === "lost_person" ? `<button type="button" class="small go" id="btn-search">${esc(T.search)}</button>` : ""}
      </div>
      <div id="video"></div>
      <h4>${esc(T.timeline)}</h4>
      <ol class="tl" id="timeline">${tl.map((e) => `<li data-kind="${e.kind}"><time>${hm(e.at)}</time>${esc(e.text)} <small>${esc(e.actor)}</small></li>`).join("")}</ol>
      <input class="note-input" id="note" placeholder="${esc(T.note)}" maxlength="2000">`;
  }

  function drawRoutes(inc, recs) {
    layers.routes.clearLayers();
    recs.forEach((r, n) => {
      if (r.route) L.geoJSON(r.route, { style: { color: ROUTE_COLOR[n % 5], weight: n === 0 ? 5 : 3, opacity: n === 0 ? 0.9 : 0.55, dashArray: n === 0 ? null : "6 5" } }).addTo(layers.routes);
      const m = state.units.get(r.unit_id);
      if (m) L.circleMarker(m.getLatLng(), { radius: 12, color: ROUTE_COLOR[n % 5], weight: 2, fill: false, interactive: false }).addTo(layers.routes);
    });
    L.circleMarker([inc.lat, inc.lon], { radius: 16, color: "#ffd600", weight: 3, fill: false, interactive: false }).addTo(layers.routes);
  }

  async function act(fn) {
    const err = document.getElementById("detail-error");
    if (err) err.textContent = "";
    try { await fn(); } catch (e) { if (document.getElementById("detail-error")) document.getElementById("detail-error").textContent = e.message; }
    refreshDetail();
    refreshQueue();
  }
  function transition(to) {
    const inc = state.detail;
    if (!inc) return;
    const disposition = (document.getElementById("disp") || {}).value || null;
    if (to === "closed" && !disposition && !inc.disposition) { document.getElementById("detail-error").textContent = T.close_needs; document.getElementById("disp").focus(); return; }
    if (to === "cancelled" && !window.confirm(T.confirm_cancel)) return;
    act(() => post(`/incidents/${inc.id}/transitions`, { to, disposition }));
  }
  function assign(unitId) {
    const inc = state.detail;
    if (!inc) return;
    const from = state.reassign;
    state.reassign = null;
    if (from) act(() => post(`/incidents/${inc.id}/assignments/${from}/reassign`, { unit_id: Number(unitId) }));
    else act(() => post(`/incidents/${inc.id}/assignments`, { unit_id: Number(unitId) }));
  }
  detailEl.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || b.disabled) return;
    if (b.dataset.to) transition(b.dataset.to);
    else if (b.classList.contains("assign")) assign(b.dataset.unitId);
    else if (b.classList.contains("reassign")) {
      const id = Number(b.dataset.assignmentId);
      state.reassign = state.reassign === id ? null : id;
      refreshDetail();
    }
    else if (b.classList.contains("release")) act(() => post(`/incidents/${state.detail.id}/assignments/${b.dataset.assignmentId}/release`, {}));
    else if (b.id === "btn-cams") showCameras();
    else if (b.id === "btn-search") showSearch();
    else if (b.classList.contains("task")) giveTask(b.dataset.cameraIds.split(",").map(Number));
    else if (b.classList.contains("report")) reportTask(b.dataset.taskId, b.dataset.found === "1");
  });
  detailEl.addEventListener("keydown", (e) => {
    if (e.target.id === "note" && e.key === "Enter" && e.target.value.trim()) {
      const text = e.target.value.trim();
      e.target.value = "";
      act(() => post(`/incidents/${state.detail.id}/notes`, { text }));
    }
  });

  // ---------- video: cameras near, lost-person search, video-patrol tasks ----------
  function cameraList(cams, extra) {
    if (!cams.length) return `<p>${esc(T.no_cameras)}</p>`;
    return `<ol class="cams">${cams.map((c) => `<li><span class="grow">${esc(c.code)} ${esc(c.name)}<span class="why">${esc(c.sees)} · ${esc(c.owner)} · ${Math.round(c.distance_m)} m${c.walk_s != null ? ` · ${esc(T.walk)} ${clock(c.walk_s)}` : ""}</span></span></li>`).join("")}</ol>${extra || ""}`;
  }
  async function taskControls(cams) {
    const inc = state.detail;
    if (!inc.can_act) return "";
    const [people, tasks] = await Promise.all([api(`/incidents/${inc.id}/video-patrollers`), api(`/incidents/${inc.id}/video-tasks`)]);
    const ids = cams.slice(0, 8).map((c) => c.id).join(",");
    const open = tasks.filter((t) => t.status === "open").map((t) => `<li><span class="grow">#${t.id} ${esc(t.assignee)}</span>
      <input id="result-${t.id}" placeholder="${esc(T.result)}"><button type="button" class="small report" data-task-id="${t.id}" data-found="1">${esc(T.found)}</button>
      <button type="button" class="small report" data-task-id="${t.id}" data-found="0">${esc(T.not_found)}</button></li>`).join("");
    return `<div class="actions"><select id="assignee" aria-label="${esc(T.assignee)}">${people.map((p) => `<option value="${p.id}">${esc(p.name)} · ${esc(p.organization)}</option>`).join("")}</select>
      <button type="button" class="small go task" data-camera-ids="${ids}">${esc(T.task)}</button></div>${open ? `<h4>${esc(T.tasks)}</h4><ul class="asg">${open}</ul>` : ""}`;
  }
  function markCameras(cams) {
    layers.search.clearLayers();
    cams.forEach((c, n) => L.circleMarker([c.lat, c.lon], { radius: 6, color: "#4a148c", weight: 2, fillColor: "#ce93d8", fillOpacity: 1 })
      .bindTooltip(`${n + 1}. ${esc(c.name)}`).addTo(layers.search));
  }
  async function showCameras() {
    const cams = await api(`/incidents/${state.detail.id}/cameras?radius_m=500`);
    markCameras(cams);
    document.getElementById("video").innerHTML = `<h4>${esc(T.cameras)}</h4>` + cameraList(cams, await taskControls(cams));
  }
  async function showSearch() {
    const area = await api(`/incidents/${state.detail.id}/search-area`);
    markCameras(area.cameras);
    L.geoJSON(area.area, { style: { color: "#6a1b9a", weight: 2, fillColor: "#ce93d8", fillOpacity: 0.2 } }).addTo(layers.search);
    document.getElementById("video").innerHTML = `<h4>${esc(T.search)} · ${esc(T.walk)} ${esc(area.elapsed_label)}</h4>` + cameraList(area.cameras, await taskControls(area.cameras));
  }
  function giveTask(cameraIds) {
    const assignee = Number(document.getElementById("assignee").value);
    act(() => post(`/incidents/${state.detail.id}/video-tasks`, { assignee_id: assignee, camera_ids: cameraIds.filter(Boolean), instructions: "" }));
  }
  function reportTask(taskId, found) {
    const input = document.getElementById(`result-${taskId}`);
    const result = (input && input.value.trim()) || (found ? T.found : T.not_found);
    act(() => post(`/incidents/${state.detail.id}/video-tasks/${taskId}/result`, { result, found }));
  }

  // ---------- intake: click the map, type, Ctrl+Enter ----------
  const form = document.getElementById("intake");
  const ptLabel = document.getElementById("pt-label");
  const formError = document.getElementById("intake-error");
  map.on("click", async (e) => {
    const { lat, lng } = e.latlng;
    state.point = [lat, lng];
    document.getElementById("f-lat").value = lat.toFixed(6);
    document.getElementById("f-lon").value = lng.toFixed(6);
    if (pickMarker) pickMarker.setLatLng(e.latlng); else pickMarker = L.marker(e.latlng, { draggable: true }).addTo(map);
    ptLabel.className = "";
    ptLabel.textContent = `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
    document.getElementById("f-type").focus();
    try {
      const where = await api(`/areas/locate?lat=${lat}&lon=${lng}`);
      ptLabel.textContent = [where.station, where.workstation, where.grid].filter(Boolean).map((x) => x.name).join(" · ");
    } catch (err) { ptLabel.textContent = T.outside; ptLabel.className = "pt-empty"; }
  });
  form.addEventListener("input", () => { if (!state.key) state.key = newKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    formError.textContent = "";
    const data = Object.fromEntries(new FormData(form).entries());
    if (!data.lat) { formError.textContent = T.need_point; return; }
    if (!data.type) { formError.textContent = T.need_type; document.getElementById("f-type").focus(); return; }
    const key = state.key || (state.key = newKey()); // the same key on a retry: never two incidents
    const submit = document.getElementById("f-submit");
    submit.disabled = true;
    try {
      const inc = await post("/incidents", data, { "Idempotency-Key": key });
      state.key = null;
      form.reset();
      state.point = null;
      ptLabel.textContent = T.pick; ptLabel.className = "pt-empty";
      if (pickMarker) { pickMarker.remove(); pickMarker = null; }
      await loadQueue();
      await select(inc.id);
    } catch (err) {
      formError.textContent = err.message;
    } finally { submit.disabled = false; }
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    else if (e.altKey && /^[1-4]$/.test(e.key)) { e.preventDefault(); form.querySelector(`input[name=priority][value=P${e.key}]`).checked = true; }
    else if (e.key === "Escape") { form.reset(); state.key = null; document.activeElement.blur(); }
  });

  // ---------- keyboard ----------
  document.addEventListener("keydown", (e) => {
    const typing = e.target.closest("input, textarea, select");
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === "n") { e.preventDefault(); document.getElementById("f-type").focus(); }
    else if (k === "j" || k === "k") {
      const ids = state.queue.map((i) => i.id);
      if (!ids.length) return;
      const at = ids.indexOf(state.selected);
      select(ids[Math.min(ids.length - 1, Math.max(0, at + (k === "j" ? 1 : -1)))] ?? ids[0]);
    } else if (k === "a") { const b = detailEl.querySelector("button.assign"); if (b) b.click(); }
    else if ({ e: 1, o: 1, r: 1, c: 1, x: 1 }[k]) {
      const to = { e: "en_route", o: "on_scene", r: "resolved", c: "closed", x: "cancelled" }[k];
      const b = detailEl.querySelector(`button[data-to=${to}]`);
      if (b && !b.disabled) b.click();
    }
  });

  // ---------- the live stream ----------
  const dot = document.getElementById("live-dot"), liveText = document.getElementById("live-text");
  function connect() {
    const es = new EventSource("/events/");
    es.onopen = () => { live.connected = true; dot.className = "dot on"; liveText.textContent = T.connected; };
    es.onerror = () => { live.connected = false; dot.className = "dot off"; liveText.textContent = T.disconnected; };
    es.addEventListener("unit.updated", (ev) => {
      const d = JSON.parse(ev.data);
      live.unitEvents += 1;
      const m = state.units.get(d.id);
      if (m) paintUnit({ ...m.unit, status: d.status, lat: d.lat ?? m.unit.lat, lon: d.lon ?? m.unit.lon, current_incident_id: d.incident_id });
      else api(`/units/${d.id}`).then(paintUnit).catch(() => {});
    });
    const onIncident = (ev) => {
      const d = JSON.parse(ev.data);
      live.incidentEvents += 1;
      refreshQueue();
      if (d.id === state.selected) refreshDetail();
    };
    es.addEventListener("incident.created", onIncident);
    es.addEventListener("incident.updated", onIncident);
  }

  Promise.all([loadAreas(), loadUnits(), loadQueue()]).then(() => {
    root.dataset.ready = "1";
    connect();
    loadStreets().catch(() => {});
    loadCameras().catch(() => {});
  });
  setInterval(() => loadUnits().catch(() => {}), 60000);
})();
