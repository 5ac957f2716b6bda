// Messages (toasts) with sonner fetched after the page, not in every page's first scripts:
// sonner is 8 KB brotli, and fetched beside the page's state and words on a 3G link it delayed
// them. Most page loads show no message. Reflex sends a message as a call on `refs.__toast`,
// which its toaster sets to this module's `toast`: sonner's own once it has come. Until then a
// message is kept, and asks for sonner at once; it goes to sonner, in order, once sonner's
// <Toaster> is on the page. With no message, sonner comes once the page has loaded (the
// `data-loaded` mark, lbt_app/components/layout.py Document) and the browser is idle.
import { createElement, lazy, Suspense, useEffect, useState } from "react";

let sonner = null; // sonner's `toast`, once its <Toaster> listens
const waiting = []; // [method, or null for toast(...) itself; its arguments]
let wanted = () => {}; // asks for sonner now (LazyToaster's, once it is on the page)

function call(method, args) {
  if (sonner !== null) return (method === null ? sonner : sonner[method])(...args);
  if (method === "dismiss") {
    // nothing shown yet: the waiting message(s) it names go (Reflex dismisses its connection
    // error on every connect, which is no reason to fetch sonner)
    const [id] = args;
    const kept = waiting.filter(([, [, options]]) => id !== undefined && options?.id !== id);
    waiting.splice(0, waiting.length, ...kept);
    return undefined;
  }
  waiting.push([method, args]);
  wanted();
  return undefined;
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

function onceLoaded(then) {
  const html = document.documentElement;
  if ("loaded" in html.dataset) {
    then();
    return undefined;
  }
  const watch = new MutationObserver(() => {
    if ("loaded" in html.dataset) {
      watch.disconnect();
      then();
    }
  });
  watch.observe(html, { attributes: true, attributeFilter: ["data-loaded"] });
  return () => watch.disconnect();
}

// sonner's <Toaster>, with Reflex's props for it, once wanted.
export function LazyToaster(props) {
  const [asked, setAsked] = useState(false);
  useEffect(() => {
    wanted = () => setAsked(true);
    if (waiting.length) return setAsked(true);
    const whenIdle = window.requestIdleCallback ?? ((run) => setTimeout(run, 200));
    return onceLoaded(() => whenIdle(() => setAsked(true), { timeout: 2000 }));
  }, []);
  return asked ? createElement(Suspense, { fallback: null }, createElement(Sonner, props)) : null;
}
