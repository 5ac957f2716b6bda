// Service worker: the wallet opens without a network. Reflex pages need their websocket, so
// when /wallet cannot be fetched the static offline page is served in its place; it reads what
// the wallet saved in localStorage and computes the live code on the phone (assets/live-qr.js).
// A new name when the cached files change, so phones fetch them anew (sign-out keeps "lbt-offline-*").
const CACHE = "lbt-offline-v4";
const OFFLINE_PAGE = "/wallet-offline.html";
const KEEP = [
  OFFLINE_PAGE,
  "/live-qr.js",
  "/live-qr-worker.js",
  "/vendor/qrcode-generator-2.0.4.js", // the worker's importScripts
  "/manifest.json",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEEP)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && /^\/wallet\/?$/.test(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_PAGE)));
  } else if (KEEP.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
