// The 15-minute service circle: grids coloured by walking time, circles (or isochrones) on top.
(function () {
  const el = document.getElementById("circle-map");
  const labels = JSON.parse(el.dataset.labels);
  // A view first: renderers need map bounds before the first layer is added.
  const map = L.map(el).setView([26.12, 119.33], 11);
  fetch("/api/v1/counter/service-circle?layer=true", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => {
      const byCode = Object.fromEntries(data.grids.map((g) => [g.code, g]));
      const grids = L.featureGroup();
      data.grid_features.forEach((f) => {
        const g = byCode[f.properties.code];
        L.geoJSON(f, {
          style: { color: "#555", weight: 1, fillOpacity: 0.35, fillColor: g.covered ? "#2e7d32" : "#c62828" },
        }).bindPopup(`${g.name}<br>${g.walk_minutes === null ? "&gt; 15" : g.walk_minutes} ${labels.minutes} → ${g.nearest}`).addTo(grids);
      });
      const circles = L.geoJSON(data.layer, { style: { color: "#0b3d91", weight: 1, fillOpacity: 0.3 } })
        .bindPopup((l) => l.feature.properties.name);
      grids.addTo(map);
      circles.addTo(map);
      data.points.forEach((p) => L.circleMarker([p.lat, p.lon], { radius: 5, color: "#0b3d91" }).bindTooltip(p.name).addTo(map));
      L.control.layers(null, { [labels.grids]: grids, [labels.circles]: circles }).addTo(map);
      if (grids.getLayers().length) map.fitBounds(grids.getBounds());
      el.dataset.ready = "1";
    });
})();
