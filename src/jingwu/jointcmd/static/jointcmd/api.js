// A small JSON client for the pages: session cookie plus the CSRF token Django expects.
window.JingwuApi = (function () {
  "use strict";
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    });
    const data = await r.json().catch(() => ({}));
    const message = r.ok ? "" : ((data.detail || []).map((d) => d.msg).join("；") || r.statusText);
    return { ok: r.ok, status: r.status, data, message };
  }
  return { post };
})();
