// The case page follows the case live: any change to it reloads the timeline and the header.
(function () {
  "use strict";
  const header = document.getElementById("case-header");
  const timeline = document.getElementById("timeline");
  if (!header || !timeline || !window.EventSource) return;
  const id = header.dataset.caseId;
  const events = new EventSource("/events/");
  const onChange = (e) => {
    const data = JSON.parse(e.data || "{}");
    if (String(data.id) !== id) return;
    htmx.trigger(timeline, "refresh");
    const stage = document.getElementById("case-stage");
    if (data.stage && stage && stage.dataset.code !== data.stage) {
      // The stage changed elsewhere: the actions on this page are stale, reload it.
      window.location.reload();
    }
  };
  ["dispute.case_updated", "dispute.escalating"].forEach((k) => events.addEventListener(k, onChange));
  events.onopen = () => { header.dataset.live = "1"; };
})();
