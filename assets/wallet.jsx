// The resident's live permit QR (assets/live-qr.js draws it; see lbt_app/core/live.py). A tap
// (or Enter) shows it full screen. What the offline page (/wallet-offline.html) needs is kept in
// localStorage: permit text, secret, and labels in the resident's language.
import React, { useEffect, useRef, useState } from "react";

// The classic script the offline page loads too: one copy of the live-QR logic (its worker,
// assets/live-qr-worker.js, encodes; this page never loads the encoder itself).
let loading = null;

function liveQr() {
  loading =
    loading ||
    new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/live-qr.js";
      script.onload = () => resolve(window.LbtLiveQr);
      script.onerror = reject;
      document.head.appendChild(script);
    });
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

// In the code's square, so the card keeps its shape; the offline page's notice colours.
const failedBox = {
  aspectRatio: "1 / 1",
  display: "flex",
  alignItems: "center",
  justifyContent: "center",
  padding: "16px",
  textAlign: "center",
  background: "#fef3c7",
  border: "1px solid #f59e0b",
  borderRadius: "6px",
  color: "#78350f",
};

// The code is a button (a tap or the keyboard opens it full screen); full screen is a dialog
// that a tap anywhere, its close button or Escape closes, giving the focus back to the code.
// Under the code, `tapLabel` says a tap opens it. If the code cannot be drawn (its script or
// worker failed), `failedLabel` says so in its place, and nothing invites a tap.
export function LiveQr({ payload, secret, saved, hint, openLabel, closeLabel, tapLabel, failedLabel }) {
  const small = useRef(null);
  const big = useRef(null);
  const opener = useRef(null);
  const closer = useRef(null);
  const [open, setOpen] = useState(false);
  const [tick, setTick] = useState(0);
  const [failed, setFailed] = useState(false);

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
    liveQr()
      .then(async ({ liveText, drawQr }) => {
        const text = await liveText(payload, secret);
        if (cancelled) return;
        await Promise.all([
          small.current && drawQr(small.current, text, small.current.parentElement.clientWidth),
          big.current && drawQr(big.current, text, Math.min(window.innerWidth, window.innerHeight) - 24),
        ]);
      })
      .catch(() => setFailed(true));
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
      {failed ? (
        <div role="alert" data-testid="wallet-qr-failed" style={failedBox}>
          {failedLabel}
        </div>
      ) : (
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
      )}
      {!failed && (
        <p data-testid="wallet-qr-tap" style={{ margin: "8px 0 0", fontSize: "12px", color: "var(--gray-11)" }}>
          {tapLabel}
        </p>
      )}
      {open && !failed && (
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
