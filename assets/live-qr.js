// The live permit QR, shared by the wallet page (assets/wallet.jsx) and the offline page
// (assets/wallet-offline.html): the permit text with a 30-second code (lbt_app/core/live.py:
// RFC 6238, HMAC-SHA256, 6 digits) computed with Web Crypto, drawn at error correction M in
// alphanumeric mode by qrcode-generator (vendored, MIT; the global `qrcode`). A classic script
// (window.LbtLiveQr), not a module: offline, module imports did not come from the service
// worker's cache in Chromium, classic scripts did.
(function () {

const LIVE_PREFIX = "LBTL:";
const PERMIT_PREFIX = "LBT1:";
const STEP = 30;
const DIGITS = 6;
const QUIET_ZONE = 4;
const STORE = "lbt_wallet";

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function liveCode(secret, seconds) {
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(Math.floor(seconds / STEP)));
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  const offset = mac[mac.length - 1] & 0x0f;
  const binary =
    ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}

// What the QR says now; without Web Crypto (not a secure context) the plain permit.
async function liveText(payload, secret) {
  if (!secret || !window.crypto || !crypto.subtle) return payload;
  const code = await liveCode(secret, Date.now() / 1000);
  return LIVE_PREFIX + code + payload.slice(PERMIT_PREFIX.length);
}

// Draws `text` `width` pixels wide; the same text at the same width is drawn once (the page
// asks every second, the code moves on every 30: encoding a QR is a long task on a cheap phone).
function drawQr(canvas, text, width) {
  const drawn = `${width}:${text}`;
  if (canvas.dataset.drawn === drawn) return;
  const qr = qrcode(0, "M");
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? "Alphanumeric" : "Byte");
  qr.make();
  const modules = qr.getModuleCount() + 2 * QUIET_ZONE;
  const cell = Math.max(1, Math.floor(width / modules));
  canvas.width = canvas.height = cell * modules;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let r = 0; r < qr.getModuleCount(); r += 1) {
    for (let c = 0; c < qr.getModuleCount(); c += 1) {
      if (qr.isDark(r, c)) ctx.fillRect((c + QUIET_ZONE) * cell, (r + QUIET_ZONE) * cell, cell, cell);
    }
  }
  canvas.dataset.text = text;
  canvas.dataset.drawn = drawn;
}

  window.LbtLiveQr = { STEP, STORE, liveCode, liveText, drawQr };
})();
