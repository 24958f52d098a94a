// A patrol plan's map: the route, each checkpoint's geofence (green when checked in, red when
// missed), the reported track and where it left the route; plus the GPS check-in button.
(function () {
  "use strict";
  const plan = JSON.parse(document.getElementById("plan-json").textContent);
  const reports = JSON.parse(document.getElementById("reports-json").textContent);
  const labels = JSON.parse(document.getElementById("patrol-labels").textContent);
  const map = L.map("patrol-map", { zoomSnap: 0.25 });
  const done = new Set(), missed = new Set();
  reports.forEach((r) => {
    r.checkins.forEach((c) => done.add(c.checkpoint_id));
    r.missed.forEach((m) => missed.add(m.id));
  });
  // The view first: circles can only measure themselves on a map that has one.
  const bounds = L.latLngBounds(plan.checkpoints.map((c) => [c.lat, c.lon]));
  if (plan.route) bounds.extend(L.geoJSON(plan.route).getBounds());
  map.fitBounds(bounds.pad(0.15));
  const layers = [];
  if (plan.route) {
    layers.push(L.geoJSON(plan.route, { style: { color: "#0b3d91", weight: 4, opacity: 0.7 } })
      .bindTooltip(labels.route).addTo(map));
  }
  plan.checkpoints.forEach((c) => {
    const color = done.has(c.id) ? "#2e7d32" : (missed.has(c.id) ? "#b00020" : "#6d4c41");
    const state = done.has(c.id) ? labels.done : (missed.has(c.id) ? labels.missed : "");
    layers.push(L.circle([c.lat, c.lon], { radius: c.radius_m, color, weight: 2, fillOpacity: 0.2, className: "checkpoint" })
      .bindTooltip(`${c.seq}. ${c.name} ${state}`, { permanent: true, direction: "top", className: "post-label" })
      .addTo(map));
  });
  reports.forEach((r) => {
    if (r.track.length > 1) {
      L.polyline(r.track, { color: "#e65100", weight: 2, dashArray: "4 4" }).bindTooltip(labels.track).addTo(map);
    }
    r.deviations.forEach((d) => {
      L.circleMarker([d.lat, d.lon], { radius: 8, color: "#b00020", fillOpacity: 0.9, className: "deviation" })
        .bindTooltip(`${labels.deviation} ${Math.round(d.max_distance_m)} m`).addTo(map);
    });
  });
  document.getElementById("patrol-map").dataset.ready = "1";

  const result = document.getElementById("checkin-result");
  const button = document.getElementById("checkin-gps");
  button.addEventListener("click", () => {
    if (!navigator.geolocation) { result.textContent = labels.nogeo; return; }
    navigator.geolocation.getCurrentPosition(async (pos) => {
      const r = await window.JingwuApi.post(`/api/v1/patrols/${plan.id}/checkins`, {
        checkpoint_id: +document.getElementById("checkpoint").value,
        lat: pos.coords.latitude,
        lon: pos.coords.longitude,
      });
      result.textContent = r.ok ? `${labels.ok}：${r.data.checkpoint}` : r.message;
      result.className = r.ok ? "" : "error";
      if (r.ok) setTimeout(() => window.location.reload(), 800);
    }, () => { result.textContent = labels.nogeo; result.className = "error"; }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
