// Encodes the live permit QR for assets/live-qr.js off the page's main thread: qrcode-generator
// (vendored, MIT) tries eight mask patterns, one ~250 ms task on a cheap phone. Error correction
// M, alphanumeric when the text allows (a smaller code); replies with the module count and the
// modules row by row (1 dark), the buffer transferred. Classic, so the service worker's cache
// serves it and its import offline.
importScripts("/vendor/qrcode-generator-2.0.4.js");

self.onmessage = ({ data: { id, text } }) => {
  const qr = qrcode(0, "M");
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? "Alphanumeric" : "Byte");
  qr.make();
  const count = qr.getModuleCount();
  const dark = new Uint8Array(count * count);
  for (let r = 0; r < count; r += 1) {
    for (let c = 0; c < count; c += 1) dark[r * count + c] = qr.isDark(r, c) ? 1 : 0;
  }
  self.postMessage({ id, count, dark }, [dark.buffer]);
};
