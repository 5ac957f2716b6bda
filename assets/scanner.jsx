// The officer's live scanner and the verdict cue.
//
// Scanner: full-screen camera view that decodes QR codes in the browser with zxing-cpp compiled
// to WebAssembly (npm zxing-wasm, bundled and served by the app: no CDN), so only the short
// permit text travels. Where the decoder cannot load, or finds nothing for a while, small JPEG
// frames go to the server instead (acknowledged one at a time, so a slow link never queues them).
// The decoder is imported lazily, not with the page: once the officer page is live and idle,
// DecoderWarmup fetches and compiles it in the background, so the first tap on "Scan a permit"
// does not wait for the network. User Timing marks ("lbt:decoder-ready", "lbt:qr-read" at the
// frame that was read, "lbt:frame-sent") let bench/ and the tests see when.
import React, { useEffect, useRef, useState } from "react";
import wasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

const DECODE_MAX_SIDE = 960; // px: 3–5 ms per frame in the browser
const FRAME_MAX_SIDE = 640; // px: frames sent to the server
const FRAME_QUALITY = 0.6;
const FALLBACK_EVERY_MS = 600; // no decoder: a frame to the server this often
const SECOND_OPINION_AFTER_MS = 4000; // decoder finds nothing this long: ask the server too
const SECOND_OPINION_EVERY_MS = 2000;
const LOAD_TIMEOUT_MS = 8000;
const ACK_TIMEOUT_MS = 5000;

let readerPromise = null;

function loadReader() {
  if (!readerPromise) {
    readerPromise = (async () => {
      if (typeof WebAssembly !== "object") throw new Error("WebAssembly is unavailable");
      const zxing = await import("zxing-wasm/reader");
      await zxing.prepareZXingModule({
        overrides: {
          locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
        },
        fireImmediately: true,
      });
      performance.mark("lbt:decoder-ready");
      return zxing.readBarcodes;
    })();
    readerPromise.catch(() => {
      readerPromise = null; // try again next time the scanner opens
    });
  }
  return readerPromise;
}

// Once `live` (the page hydrated over its websocket) and the browser has nothing else to do:
// the decoder loads while the officer has not tapped yet. A failure is left to the scanner,
// which tries again when it opens.
export function DecoderWarmup({ live }) {
  useEffect(() => {
    if (!live) return undefined;
    const idle = window.requestIdleCallback || ((run) => setTimeout(run, 200));
    const cancel = window.cancelIdleCallback || clearTimeout;
    const handle = idle(() => loadReader().catch(() => {}), { timeout: 3000 });
    return () => cancel(handle);
  }, [live]);
  return null;
}

const overlay = {
  position: "fixed",
  inset: 0,
  zIndex: 50,
  background: "#000",
  color: "#fff",
  display: "flex",
  flexDirection: "column",
};
const videoStyle = { flex: 1, width: "100%", minHeight: 0, objectFit: "cover" };
const aim = {
  position: "absolute",
  top: "50%",
  left: "50%",
  width: "64vmin",
  height: "64vmin",
  transform: "translate(-50%, -60%)",
  border: "3px solid rgba(255,255,255,0.85)",
  borderRadius: "16px",
  boxShadow: "0 0 0 100vmax rgba(0,0,0,0.35)",
  pointerEvents: "none",
};
const status = {
  position: "absolute",
  top: "16px",
  left: "16px",
  right: "16px",
  textAlign: "center",
  fontSize: "18px",
  textShadow: "0 1px 3px #000",
};
const bar = {
  display: "flex",
  flexWrap: "wrap",
  gap: "10px",
  justifyContent: "center",
  alignItems: "center",
  padding: "14px 12px 22px",
  background: "#111",
};
const barButton = {
  minHeight: "48px",
  padding: "0 18px",
  fontSize: "17px",
  borderRadius: "24px",
  border: "1px solid rgba(255,255,255,0.4)",
  background: "rgba(255,255,255,0.12)",
  color: "#fff",
};

export function Scanner({ onText, onFrame, onClose, acks = 0, repeatMs = 5000, labels = {}, children }) {
  const videoRef = useRef(null);
  const trackRef = useRef(null);
  const [facing, setFacing] = useState("environment");
  const [cameras, setCameras] = useState(0);
  const [torch, setTorch] = useState(null); // null: this camera has no torch
  const [mode, setMode] = useState("starting"); // starting | browser | server | no-camera
  const [problem, setProblem] = useState("");
  const ack = useRef({ acks, pending: false, since: 0 });
  const handlers = useRef({ onText, onFrame });
  handlers.current = { onText, onFrame };

  useEffect(() => {
    if (acks !== ack.current.acks) ack.current = { acks, pending: false, since: 0 };
  }, [acks]);

  useEffect(() => {
    const video = videoRef.current;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const last = { text: "", at: -Infinity };
    let stopped = false;
    let stream = null;
    let decode = null;
    let fallback = false;
    let busy = false;
    let lastFound = performance.now();
    let lastSent = -Infinity;

    const draw = (maxSide) => {
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (!w || !h) return false;
      const scale = Math.min(1, maxSide / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      return true;
    };

    const emit = (text, frameTime) => {
      const now = performance.now();
      if (text === last.text && now - last.at < repeatMs) return; // the same scan, not a new one
      last.text = text;
      last.at = now;
      performance.mark("lbt:qr-read", { startTime: frameTime });
      handlers.current.onText(text, Date.now());
    };

    const sendFrame = (now) => {
      const a = ack.current;
      if (a.pending && now - a.since < ACK_TIMEOUT_MS) return; // the last one is still on its way
      if (!draw(FRAME_MAX_SIDE)) return;
      lastSent = now;
      ack.current = { acks: a.acks, pending: true, since: now };
      performance.mark("lbt:frame-sent", { startTime: now });
      handlers.current.onFrame(canvas.toDataURL("image/jpeg", FRAME_QUALITY), Date.now());
    };

    const schedule = () => {
      if (stopped) return;
      if (video.requestVideoFrameCallback) video.requestVideoFrameCallback((now) => tick(now));
      else setTimeout(() => tick(performance.now()), 80);
    };

    const tick = async (frameTime) => {
      if (stopped) return;
      const now = performance.now();
      if (decode && !busy && draw(DECODE_MAX_SIDE)) {
        busy = true;
        try {
          const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
          const results = await decode(image, {
            formats: ["QRCode"],
            tryInvert: true,
            maxNumberOfSymbols: 1,
          });
          const hit = results.find((r) => r.isValid && r.text);
          if (hit && !stopped) {
            lastFound = now;
            emit(hit.text, frameTime);
          }
        } catch (error) {
          // one unreadable frame: the next one comes soon
        }
        busy = false;
        if (now - lastFound > SECOND_OPINION_AFTER_MS && now - lastSent > SECOND_OPINION_EVERY_MS) {
          sendFrame(now);
        }
      } else if (!decode && fallback && now - lastSent > FALLBACK_EVERY_MS) {
        sendFrame(now);
      }
      schedule();
    };

    const useServer = () => {
      if (stopped || decode) return;
      fallback = true;
      setMode((m) => (m === "no-camera" ? m : "server"));
    };
    const timer = setTimeout(useServer, LOAD_TIMEOUT_MS);
    loadReader().then(
      (read) => {
        if (stopped) return;
        clearTimeout(timer);
        decode = read;
        lastFound = performance.now();
        setMode((m) => (m === "no-camera" ? m : "browser"));
      },
      () => {
        clearTimeout(timer);
        useServer();
      },
    );

    (async () => {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        setProblem("unavailable");
        setMode("no-camera");
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 } },
        });
      } catch (error) {
        setProblem(error && error.name === "NotAllowedError" ? "denied" : "unavailable");
        setMode("no-camera");
        return;
      }
      if (stopped) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      const track = stream.getVideoTracks()[0];
      trackRef.current = track;
      const caps = track.getCapabilities ? track.getCapabilities() : {};
      setTorch(caps.torch ? false : null);
      navigator.mediaDevices
        .enumerateDevices()
        .then((all) => setCameras(all.filter((d) => d.kind === "videoinput").length))
        .catch(() => setCameras(1));
      video.srcObject = stream;
      await video.play().catch(() => {});
      schedule();
    })();

    return () => {
      stopped = true;
      clearTimeout(timer);
      if (stream) stream.getTracks().forEach((t) => t.stop());
      trackRef.current = null;
    };
  }, [facing, repeatMs]);

  const toggleTorch = () => {
    const track = trackRef.current;
    if (!track) return;
    track
      .applyConstraints({ advanced: [{ torch: !torch }] })
      .then(() => setTorch(!torch))
      .catch(() => setTorch(null));
  };

  return (
    <div data-testid="scanner" data-mode={mode} style={overlay} role="dialog" aria-label={labels.title}>
      <video ref={videoRef} muted playsInline autoPlay style={videoStyle} />
      {mode !== "no-camera" && <div style={aim} aria-hidden="true" />}
      <div style={status} role="status" data-testid="scanner-status">
        {problem ? labels[problem] : labels.looking}
      </div>
      <div style={bar}>
        <button type="button" style={barButton} onClick={() => onClose()} data-testid="scan-close">
          {labels.close}
        </button>
        {cameras > 1 && (
          <button
            type="button"
            style={barButton}
            data-testid="scan-switch"
            onClick={() => setFacing((f) => (f === "environment" ? "user" : "environment"))}
          >
            {labels.switch}
          </button>
        )}
        {torch !== null && (
          <button
            type="button"
            style={barButton}
            aria-pressed={torch}
            data-testid="scan-torch"
            onClick={toggleTorch}
          >
            {labels.torch}
          </button>
        )}
        {children}
      </div>
    </div>
  );
}

// One short vibration and tone per verdict; the patterns differ so the officer need not look.
const CUES = {
  VALID: { vibrate: [120], tones: [[880, 0.12]] },
  CHECK: { vibrate: [120, 80, 120], tones: [[660, 0.12], [660, 0.12]] },
  INVALID: { vibrate: [400, 100, 400], tones: [[220, 0.4], [220, 0.4]] },
};
let audio = null;

function play(tones) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  let at = audio.currentTime;
  for (const [frequency, seconds] of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = frequency;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + seconds);
    at += seconds + 0.08;
  }
}

export function VerdictCue({ outcome, stamp }) {
  useEffect(() => {
    const cue = CUES[outcome];
    if (!stamp || !cue) return;
    if (navigator.vibrate) navigator.vibrate(cue.vibrate);
    try {
      play(cue.tones);
    } catch (error) {
      // no sound on this device: the colour and the vibration remain
    }
  }, [stamp]);
  return null;
}
