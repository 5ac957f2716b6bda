// The resident's live permit QR: the signed permit plus a 30-second code (see lbt_app/core/live.py),
// computed on the phone with Web Crypto (HMAC-SHA256, RFC 6238) and drawn with the npm `qrcode`
// package at error correction M. A tap shows it full screen. What it needs offline (permit text,
// secret, labels) is also kept in localStorage for the static offline page (/wallet-offline.html).
import React, { useEffect, useRef, useState } from "react";
import QRCode from "qrcode";

const LIVE_PREFIX = "LBTL:";
const PERMIT_PREFIX = "LBT1:";
const STEP = 30;
const DIGITS = 6;
const STORE = "lbt_wallet";

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export async function liveCode(secret, seconds) {
  const counter = Math.floor(seconds / STEP);
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
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
    ((mac[offset] & 0x7f) << 24) |
    (mac[offset + 1] << 16) |
    (mac[offset + 2] << 8) |
    mac[offset + 3];
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}

async function liveText(payload, secret) {
  if (!secret || !window.crypto || !crypto.subtle) return payload; // no secure context
  const code = await liveCode(secret, Date.now() / 1000);
  return LIVE_PREFIX + code + payload.slice(PERMIT_PREFIX.length);
}

const full = {
  position: "fixed",
  inset: 0,
  zIndex: 60,
  background: "#fff",
  display: "flex",
  flexDirection: "column",
  alignItems: "center",
  justifyContent: "center",
  gap: "16px",
  padding: "12px",
};

export function LiveQr({ payload, secret, saved, hint }) {
  const small = useRef(null);
  const big = useRef(null);
  const [open, setOpen] = useState(false);
  const [step, setStep] = useState(0);

  useEffect(() => {
    if (payload) {
      localStorage.setItem(STORE, JSON.stringify({ ...saved, payload, secret }));
    }
  }, [payload, secret, JSON.stringify(saved)]);

  useEffect(() => {
    const timer = setInterval(() => setStep(Math.floor(Date.now() / 1000 / STEP)), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!payload) return;
    let cancelled = false;
    liveText(payload, secret).then((text) => {
      if (cancelled) return;
      const options = { errorCorrectionLevel: "M", margin: 4 };
      for (const [canvas, width] of [
        [small.current, small.current && small.current.parentElement.clientWidth],
        [big.current, Math.min(window.innerWidth, window.innerHeight) - 24],
      ]) {
        if (canvas) QRCode.toCanvas(canvas, text, { ...options, width });
      }
      if (small.current) small.current.dataset.text = text;
    });
    return () => {
      cancelled = true;
    };
  }, [payload, secret, step, open]);

  return (
    <div style={{ width: "100%" }}>
      <canvas
        ref={small}
        data-testid="wallet-qr"
        role="img"
        aria-label={hint}
        onClick={() => setOpen(true)}
        style={{ width: "100%", height: "auto", imageRendering: "pixelated", cursor: "zoom-in" }}
      />
      {open && (
        <div style={full} onClick={() => setOpen(false)} data-testid="wallet-qr-full">
          <canvas ref={big} style={{ imageRendering: "pixelated" }} />
          <div style={{ fontSize: "18px", textAlign: "center", color: "#111" }}>{hint}</div>
        </div>
      )}
    </div>
  );
}
