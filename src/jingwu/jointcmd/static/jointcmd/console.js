// The joint command console: the shared-incident list and the posts panel refetch (htmx) when an
// event arrives; the map shows the joint area, the posts with who is on them, and the incidents.
(function () {
  "use strict";
  const area = JSON.parse(document.getElementById("area-json").textContent);
  const list = document.getElementById("shared-incidents");
  const posts = document.getElementById("posts");
  const status = document.getElementById("live-status");
  const tasks = document.getElementById("tasks");
  const map = L.map("jc-map", { zoomSnap: 0.25 });
  const areaLayer = L.geoJSON(area.geometry, { style: { color: "#0b3d91", weight: 2, fillOpacity: 0.04 } }).addTo(map);
  map.fitBounds(areaLayer.getBounds());
  const postLayer = L.layerGroup().addTo(map);
  const incidentLayer = L.layerGroup().addTo(map);

  function drawPosts() {
    postLayer.clearLayers();
    posts.querySelectorAll("tr[data-post]").forEach((tr) => {
      L.circleMarker([+tr.dataset.lat, +tr.dataset.lon], { radius: 7, color: "#2e7d32", fillOpacity: 0.8 })
        .bindTooltip(`${tr.dataset.name}：${tr.dataset.people || "—"}`).addTo(postLayer);
    });
  }
  function drawIncidents() {
    incidentLayer.clearLayers();
    list.querySelectorAll("li[data-id]").forEach((li) => {
      L.circleMarker([+li.dataset.lat, +li.dataset.lon], { radius: 8, color: "#b00020", fillOpacity: 0.9 })
        .bindTooltip(li.dataset.label).addTo(incidentLayer);
    });
    list.dataset.ready = "1";
  }
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if (e.target === posts) drawPosts();
    if (e.target === list) drawIncidents();
    if (e.target === tasks) tasks.dataset.ready = "1";
  });
  // A refused task form comes back with its message (4xx): show it in the panel.
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    if (e.detail.target === tasks && e.detail.xhr.status >= 400 && e.detail.xhr.status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  window.JingwuLive.listen(
    ["incident.created", "incident.updated"],
    () => htmx.trigger(list, "refresh"),
    status,
  );
  // A new shared incident is a new task target (desk) or a place to send a unit (partner).
  window.JingwuLive.listen(["jointcmd.task", "incident.created"], () => htmx.trigger(tasks, "refresh"));
  window.JingwuLive.listen(
    ["patrol.checkin", "handover.signed", "handover.acknowledged"],
    () => htmx.trigger(posts, "refresh"),
  );
})();
