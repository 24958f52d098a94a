// Shared by the joint pages: one EventSource for the person's audiences; a listener list per page.
window.JingwuLive = (function () {
  "use strict";
  let source = null;
  function listen(kinds, onEvent, statusEl) {
    if (!window.EventSource) return;
    source = source || new EventSource("/events/");
    kinds.forEach((k) => source.addEventListener(k, (e) => onEvent(k, JSON.parse(e.data || "{}"))));
    if (statusEl) {
      source.addEventListener("open", () => { statusEl.dataset.live = "1"; });
      source.addEventListener("error", () => { statusEl.dataset.live = "0"; });
      if (source.readyState === 1) statusEl.dataset.live = "1";
    }
  }
  return { listen };
})();
