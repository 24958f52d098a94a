// The jurisdiction map: vector layers only (no tile server needed); each tier can be toggled.
(function () {
  "use strict";
  const el = document.getElementById("map");
  const labels = JSON.parse(el.dataset.labels);
  const map = L.map(el, { preferCanvas: false, zoomSnap: 0.25 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }
  const styles = {
    branch: { color: "#0b3d91", weight: 3, fillOpacity: 0 },
    station: { color: "#1565c0", weight: 2, fillOpacity: 0.05 },
    workstation: { color: "#d84315", weight: 2, fillOpacity: 0, dashArray: "6 4" },
    police_room: { color: "#2e7d32", weight: 1.5, fillOpacity: 0 },
    grid: { color: "#6d4c41", weight: 0.8, fillOpacity: 0 },
  };
  const levels = ["branch", "station", "workstation", "police_room", "grid"];
  const overlays = {};
  const control = L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  const posts = L.layerGroup();

  function popup(p) {
    const owner = p.organization_name ? `<br>${labels.owner}：${p.organization_name}` : "";
    const ill = p.illustrative ? `<br><em>${labels.illustrative}</em>` : "";
    return `<strong>${p.name}</strong><br>${labels[p.level]} · ${p.code}${owner}${ill}`;
  }

  Promise.all(levels.map((level) =>
    fetch(`/api/v1/areas/geojson?level=${level}`, { credentials: "same-origin" }).then((r) => r.json())
  )).then((collections) => {
    let bounds = null;
    collections.forEach((fc, i) => {
      const level = levels[i];
      const layer = L.geoJSON(fc, {
        style: styles[level],
        onEachFeature: (f, l) => {
          l.bindPopup(popup(f.properties));
          l.feature.properties.level = level;
          if (level === "workstation" && f.properties.post) {
            const [lon, lat] = f.properties.post;
            L.circleMarker([lat, lon], { radius: 7, color: "#d84315", fillColor: "#ff7043", fillOpacity: 0.9, className: "post" })
              .bindTooltip(f.properties.name, { permanent: true, direction: "right", className: "post-label" })
              .bindPopup(popup(f.properties) + `<br><em>${labels.approx}</em>`)
              .addTo(posts);
          }
        },
      });
      overlays[labels[level]] = layer;
      control.addOverlay(layer, labels[level]);
      if (level !== "grid") layer.addTo(map);
      if (fc.features.length && level === "branch") bounds = layer.getBounds();
    });
    control.addOverlay(posts, labels.posts);
    posts.addTo(map);
    map.fitBounds(bounds || L.latLngBounds([[26.04, 119.27], [26.21, 119.45]]));
    el.dataset.ready = "1";
  });
})();
