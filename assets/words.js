// The pages' words in the language shown: one JSON table per language, written by the build
// (lbt_app/frontend_build.py WordTables), named after its content and cached for a year. They used
// to travel in every tab's state over the websocket, uncompressed: 61 KB in Russian, Tajik or
// Kyrgyz on each cold page load (1.5 s on a 3G link), the whole table again on each language
// switch. As files they are compressed (16 KB), fetched beside the state and kept.
import { useSyncExternalStore } from "react";

let shown = { lang: "", words: {} }; // what the pages show: `lang` empty until a table came
let wanted = ""; // the language asked for last: an older answer does not replace it
const listeners = new Set();
const tables = {}; // url -> promise of the table

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const current = () => shown;

// The table shown, for a component's render: it renders again when another one comes.
export function useWords() {
  return useSyncExternalStore(subscribe, current, current);
}

// The likely language's answer, asked for by the page's head before any script had come
// (lbt_app/components/layout.py early_words); taken once.
const early = globalThis.lbtEarlyWords ?? {}; // none in the build's prerendering

function table(url) {
  if (!(url in tables)) {
    const asked = early[url] || fetch(url);
    delete early[url];
    tables[url] = asked.then((answer) => {
      if (!answer.ok) throw new Error(`${url}: ${answer.status}`);
      return answer.json();
    });
    tables[url].catch(() => delete tables[url]); // asked again next time
  }
  return tables[url];
}

// Show `lang`'s table once it is here; a failed fetch is tried again (the page waits for it).
export function showWords(lang, url) {
  wanted = lang;
  if (!url || shown.lang === lang) return;
  table(url).then(
    (words) => {
      if (wanted !== lang) return;
      shown = { lang, words };
      listeners.forEach((listener) => listener());
    },
    () => setTimeout(() => wanted === lang && showWords(lang, url), 2000),
  );
}
