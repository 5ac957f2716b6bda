// The live permit QR, shared by the wallet page (assets/wallet.jsx) and the offline page
// (assets/wallet-offline.html): the permit text with a 30-second code (lbt_app/core/live.py:
// RFC 6238, HMAC-SHA256, 6 digits) computed with Web Crypto, encoded by a worker
// (assets/live-qr-worker.js) and drawn here. A classic script (window.LbtLiveQr), not a module:
// offline, module imports did not come from the service worker's cache in Chromium, classic
// scripts did.
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

// Encoding is one long task on a cheap phone: the page's one worker encodes, the page only draws.
// Once the worker fails (not loaded, or an encoding threw) every later draw fails: the page says
// so, and a reload tries again.
let worker = null;
let failure = null;
let asked = 0;
const replies = new Map();

function encode(text) {
  if (failure) return Promise.reject(failure);
  if (!worker) {
    worker = new Worker("/live-qr-worker.js");
    worker.onmessage = ({ data }) => {
      replies.get(data.id).resolve(data);
      replies.delete(data.id);
    };
    worker.onerror = (event) => {
      failure = new Error(`QR worker: ${event.message || "could not start"}`);
      worker.terminate();
      replies.forEach(({ reject }) => reject(failure));
      replies.clear();
    };
  }
  asked += 1;
  const id = asked;
  return new Promise((resolve, reject) => {
    replies.set(id, { resolve, reject });
    worker.postMessage({ id, text });
  });
}

// What each canvas was last asked to show: an older reply arriving after a newer ask is dropped,
// and an ask while the same one is on its way is not sent again.
const wanted = new WeakMap();

// Draws `text` `width` pixels wide; the same text at the same width is drawn once (the page
// asks every second, the code moves on every 30). Rejects when the worker has failed.
async function drawQr(canvas, text, width) {
  const drawn = `${width}:${text}`;
  if (canvas.dataset.drawn === drawn || wanted.get(canvas) === drawn) return;
  wanted.set(canvas, drawn);
  const { count, dark } = await encode(text);
  if (wanted.get(canvas) !== drawn) return;
  const modules = count + 2 * QUIET_ZONE;
  const cell = Math.max(1, Math.floor(width / modules));
  canvas.width = canvas.height = cell * modules;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let r = 0; r < count; r += 1) {
    for (let c = 0; c < count; c += 1) {
      if (dark[r * count + c]) ctx.fillRect((c + QUIET_ZONE) * cell, (r + QUIET_ZONE) * cell, cell, cell);
    }
  }
  canvas.dataset.text = text;
  canvas.dataset.drawn = drawn;
}

  window.LbtLiveQr = { STEP, STORE, liveCode, liveText, drawQr };
})();
