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

function table(url) {
  tables[url] ??= fetch(url).then((answer) => {
    if (!answer.ok) throw new Error(`${url}: ${answer.status}`);
    return answer.json();
  });
  tables[url].catch(() => delete tables[url]); // asked again next time
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

// Before the page's state says which language it is in: fetch the one it most likely is (the
// reader's choice kept in this browser, else the browser's languages, as the server picks it).
export function guessWords(urls, storageKey) {
  const choices = [localStorage.getItem(storageKey) || "", ...navigator.languages];
  const lang = choices.map((code) => code.toLowerCase().split("-")[0]).find((code) => code in urls);
  if (lang) table(urls[lang]).catch(() => {});
}
