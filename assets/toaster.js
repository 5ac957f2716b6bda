// Messages (toasts) with sonner fetched once the page is idle, not in every page's first
// scripts: sonner is 10 KB brotli, a quarter of a second on a 3G link, and most page loads
// show no message. Reflex sends a message as a call on `refs.__toast`, which its toaster sets
// to this module's `toast`: sonner's own once it has come; until then the calls wait, and go
// to it in order once its <Toaster> is on the page.
import { createElement, lazy, Suspense, useEffect, useState } from "react";

let sonner = null; // sonner's `toast`, once its <Toaster> listens
const waiting = []; // [method, or null for toast(...) itself; its arguments]

function call(method, args) {
  if (sonner === null) return void waiting.push([method, args]);
  return (method === null ? sonner : sonner[method])(...args);
}

export const toast = new Proxy((...args) => call(null, args), {
  get: (own, method) =>
    typeof method === "string" ? (...args) => call(method, args) : own[method],
});

const Sonner = lazy(() =>
  import("sonner").then((module) => ({
    default: function SonnerToaster(props) {
      // after <Toaster>'s own effect, which makes it listen for messages
      useEffect(() => {
        sonner = module.toast;
        for (const [method, args] of waiting.splice(0)) call(method, args);
      }, []);
      return createElement(module.Toaster, props);
    },
  })),
);

// sonner's <Toaster>, with Reflex's props for it, once the page is idle.
export function LazyToaster(props) {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    const whenIdle = window.requestIdleCallback ?? ((run) => setTimeout(run, 200));
    whenIdle(() => setIdle(true), { timeout: 2000 });
  }, []);
  return idle ? createElement(Suspense, { fallback: null }, createElement(Sonner, props)) : null;
}
