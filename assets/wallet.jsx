// The resident's live permit QR (assets/live-qr.js draws it; see lbt_app/core/live.py). A tap
// (or Enter) shows it full screen. What the offline page (/wallet-offline.html) needs is kept in
// localStorage: permit text, secret, and labels in the resident's language.
import React, { useEffect, useRef, useState } from "react";

// The same two classic scripts the offline page loads: one copy of the live-QR logic.
const SCRIPTS = ["/vendor/qrcode-generator-2.0.4.js", "/live-qr.js"];
let loading = null;

function liveQr() {
  loading =
    loading ||
    SCRIPTS.reduce(
      (previous, src) =>
        previous.then(
          () =>
            new Promise((resolve, reject) => {
              const script = document.createElement("script");
              script.src = src;
              script.onload = resolve;
              script.onerror = reject;
              document.head.appendChild(script);
            }),
        ),
      Promise.resolve(),
    ).then(() => window.LbtLiveQr);
  return loading;
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

// The code is a button (a tap or the keyboard opens it full screen); full screen is a dialog
// that a tap anywhere, its close button or Escape closes, giving the focus back to the code.
export function LiveQr({ payload, secret, saved, hint, openLabel, closeLabel }) {
  const small = useRef(null);
  const big = useRef(null);
  const opener = useRef(null);
  const closer = useRef(null);
  const [open, setOpen] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (payload) {
      liveQr().then((lib) =>
        localStorage.setItem(lib.STORE, JSON.stringify({ ...saved, payload, secret })),
      );
    }
  }, [payload, secret, JSON.stringify(saved)]);

  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 1000); // drawn again when the code moves on
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!payload) return;
    let cancelled = false;
    liveQr().then(async ({ liveText, drawQr }) => {
      const text = await liveText(payload, secret);
      if (cancelled) return;
      if (small.current) drawQr(small.current, text, small.current.parentElement.clientWidth);
      if (big.current) drawQr(big.current, text, Math.min(window.innerWidth, window.innerHeight) - 24);
    });
    return () => {
      cancelled = true;
    };
  }, [payload, secret, tick, open]);

  useEffect(() => {
    if (open && closer.current) closer.current.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    if (opener.current) opener.current.focus();
  };

  return (
    <div style={{ width: "100%" }}>
      <button
        ref={opener}
        type="button"
        aria-label={openLabel}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
        style={{ display: "block", width: "100%", padding: 0, border: 0, background: "none", cursor: "zoom-in" }}
      >
        <canvas
          ref={small}
          data-testid="wallet-qr"
          // square from the start: a blank canvas is 2:1 and grew, pushing the card down
          style={{ display: "block", width: "100%", aspectRatio: "1 / 1", imageRendering: "pixelated" }}
        />
      </button>
      {open && (
        <div
          role="dialog"
          aria-modal="true"
          aria-label={hint}
          style={full}
          onClick={close}
          onKeyDown={(event) => event.key === "Escape" && close()}
          data-testid="wallet-qr-full"
        >
          <canvas ref={big} role="img" aria-label={openLabel} style={{ imageRendering: "pixelated" }} />
          <div style={{ fontSize: "18px", textAlign: "center", color: "#111" }}>{hint}</div>
          <button
            ref={closer}
            type="button"
            onClick={close}
            style={{ minHeight: "44px", minWidth: "44px", padding: "8px 20px", fontSize: "18px" }}
          >
            {closeLabel}
          </button>
        </div>
      )}
    </div>
  );
}
