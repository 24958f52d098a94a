// The eco zone page: the zone coloured by today's fire risk, its patrol routes and checkpoints,
// and its eco incidents, refetched whenever an incident or fire-risk event arrives.
(function () {
  "use strict";
  const zone = JSON.parse(document.getElementById("zone-json").textContent);
  const list = document.getElementById("eco-incidents");
  const colours = { 1: "#2e7d32", 2: "#1565c0", 3: "#f9a825", 4: "#e65100", 5: "#b00020" };
  const map = L.map("eco-map", { zoomSnap: 0.25 });
  const area = L.geoJSON(zone.geometry, {
    style: { color: colours[zone.risk], weight: 2, fillColor: colours[zone.risk], fillOpacity: 0.15 },
  }).addTo(map);
  map.fitBounds(area.getBounds());
  zone.patrols.forEach((p) => {
    if (p.route) L.geoJSON(p.route, { style: { color: "#0b3d91", weight: 3, opacity: 0.7 } }).bindTooltip(p.name).addTo(map);
    p.checkpoints.forEach((c) => L.circleMarker([c.lat, c.lon], { radius: 5, color: "#0b3d91" }).bindTooltip(c.name).addTo(map));
  });
  const incidents = L.layerGroup().addTo(map);
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if (e.target !== list) return;
    incidents.clearLayers();
    list.querySelectorAll("li[data-id]").forEach((li) => {
      L.circleMarker([+li.dataset.lat, +li.dataset.lon], { radius: 8, color: "#b00020", fillOpacity: 0.9 })
        .bindTooltip(li.dataset.label).addTo(incidents);
    });
    list.dataset.ready = "1";
  });
  window.JingwuLive.listen(
    ["incident.created", "incident.updated", "eco.fire_risk"],
    () => htmx.trigger(list, "refresh"),
    document.getElementById("live-status"),
  );
})();
