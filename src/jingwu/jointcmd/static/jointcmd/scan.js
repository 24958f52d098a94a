// The page a checkpoint's QR code opens: one tap posts the signed token.
(function () {
  "use strict";
  const button = document.getElementById("scan-checkin");
  const result = document.getElementById("scan-result");
  const labels = JSON.parse(document.getElementById("scan-labels").textContent);
  button.addEventListener("click", async () => {
    button.disabled = true;
    const r = await window.JingwuApi.post(`/api/v1/patrols/${button.dataset.plan}/checkins`, {
      qr_token: button.dataset.token,
    });
    result.textContent = r.ok ? `${labels.ok}：${r.data.checkpoint}` : r.message;
    result.className = r.ok ? "" : "error";
    if (!r.ok) button.disabled = false;
  });
})();
