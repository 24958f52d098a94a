// The directors' board: the lead list refetches (htmx) whenever a board event arrives (SSE).
(function () {
  "use strict";
  const list = document.getElementById("lead-list");
  const status = document.getElementById("live-status");
  if (list && window.EventSource) {
    const events = new EventSource("/events/");
    const refresh = (e) => {
      const data = JSON.parse(e.data || "{}");
      if (!data.group || String(data.group) === list.dataset.group) {
        htmx.trigger(list, "refresh");
      }
    };
    ["dispute.lead_created", "dispute.lead_promoted", "dispute.lead_merged", "dispute.lead_dismissed"]
      .forEach((kind) => events.addEventListener(kind, refresh));
    events.onopen = () => { list.dataset.live = "1"; status.dataset.live = "1"; };
    events.onerror = () => { list.dataset.live = "0"; status.dataset.live = "0"; };
  }
  const locate = document.getElementById("locate-me");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", () => navigator.geolocation.getCurrentPosition((pos) => {
      document.getElementById("lead-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lead-lon").value = pos.coords.longitude.toFixed(6);
    }));
  } else if (locate) {
    locate.hidden = true;
  }
})();
