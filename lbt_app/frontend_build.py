"""What the frontend build does beyond Reflex's defaults: less of Radix Themes (its stylesheet
and its scripts), fewer script files per page, compressed copies of the WebAssembly, the pages'
words as files.

Radix Themes' all-in-one stylesheet carries every one of its 30 colour scales (light, dark and
P3 each): 35 KB of its 86 KB gzipped, render-blocking on every page. Radix also ships the
stylesheet in parts; the app serves the tokens' base, the scales it uses, the components and the
utilities. Dark ones stay: the app follows the phone's appearance (Reflex's colour mode
"system").

Reflex writes `FILE.br` and `FILE.gz` beside each built text file (js, css, html, json, ...)
and, in production, serves the one the browser accepts (`frontend_compression_formats` in
rxconfig.py). It leaves out `.wasm`, yet the scanner's decoder is the largest file the app sends
(947 KB; a third of that as brotli). This plugin writes the same copies for every `.wasm` once
the build is done, with Node.js as Reflex's own compressor does (the build needs Node anyway).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import reflex as rx
from reflex import constants
from reflex.config import get_config
from reflex.utils import path_ops

from lbt_app.i18n import LANGUAGES, word_table

# The formats as Reflex names them, the suffix of each copy, how Node.js makes it.
COMPRESS = """
import * as zlib from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
const best = { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY };
const FORMATS = {
  gzip: [".gz", (raw) => zlib.gzipSync(raw, { level: 9 })],
  brotli: [".br", (raw) => zlib.brotliCompressSync(raw, { params: best })],
  zstd: [".zst", (raw) => zlib.zstdCompressSync(raw)],
};
const [formats, ...files] = process.argv.slice(1);
for (const file of files) {
  const raw = readFileSync(file);
  for (const format of formats.split(",")) {
    const [suffix, compress] = FORMATS[format];
    writeFileSync(file + suffix, compress(raw));
  }
}
"""


# The theme's accent and gray (rxconfig.py), the other hues the pages name (`color_scheme`), and
# Radix's plain gray, which anything outside the theme falls back to (tests/test_theme.py).
COLOUR_SCALES = ("gray", "sage", "amber", "green", "red", "teal")  # grays first, as Radix


# Reflex hands each bundled library to components built at run time (`window.__reflex`; lazily
# with `frontend_lazy_bundled_libraries`, rxconfig.py). The app builds none, and Radix Themes
# there kept its whole index alive, every component of it, in a chunk every page fetched: 38 KB
# brotli unused on each. Without its loader the bundler keeps only the components pages use.
RADIX_LOADER = '    "@radix-ui/themes": () => import("@radix-ui/themes"),\n'
ROOT = "app/root.jsx"

# Radix Themes' <Theme> wraps every page in Radix's tooltip provider. Importing it brings the
# tooltip and the positioning code under it (react-popper, floating-ui): 9.6 KB brotli on every
# page, and no page shows a tooltip. This Vite plugin gives <Theme> a provider that only renders
# its children, and fails the build if anything else brings Radix's tooltip back: a tooltip
# would need the real provider.
THEME_WITHOUT_TOOLTIPS = r"""
function themeWithoutTooltips() {
  const theme = /@radix-ui[\\/]themes[\\/]dist[\\/]esm[\\/]components[\\/]theme\.js$/;
  const tooltipImport = /,Tooltip as (\w+)\}from"radix-ui";/;
  return {
    name: "lbt-theme-without-tooltips",
    enforce: "pre",
    transform(code, id) {
      if (!theme.test(id)) return;
      const found = code.match(tooltipImport);
      if (!found) this.error("Radix Themes' theme.js changed: no tooltip import to take out");
      const provider = `}from"radix-ui";const ${found[1]}={Provider:({children:c})=>c};`;
      return { code: code.replace(tooltipImport, provider), map: null };
    },
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === "chunk" && chunk.code.includes('"TooltipProvider"')) {
          this.error(`${chunk.fileName} uses Radix's tooltip; lbt_app/frontend_build.py took ` +
            "its provider out of <Theme>: put it back (THEME_WITHOUT_TOOLTIPS)");
        }
      }
    },
  };
}

"""
# Radix Themes' stylesheet repeats every responsive class for each of its five screen widths
# (`.md\:rt-r-gap-3`, `.md\:-rt-r-m-1`, ... under `@media (min-width: 1024px)`): 353 of its
# 616 KB, 10 KB brotli, on every page, for props given per width (`columns=rx.breakpoints(...)`).
# The pages lay out per width in their own CSS instead (components/layout.py `grid_columns`);
# this Vite plugin takes those copies out of the stylesheet before it is named after its content,
# and fails the build when a page gives a Radix prop per width, which would then do nothing.
RADIX_WITHOUT_BREAKPOINTS = r"""
import postcss from "postcss";
function radixWithoutBreakpoints() {
  const widths = /^\(min-width: (520|768|1024|1280|1640)px\)$/;
  const perWidthClass = /\.(xs|sm|md|lg|xl)\\:/;
  const perWidthProp = /\(\{ \["(initial|xs|sm|md|lg|xl)"\] : /;
  return [
    {
      name: "lbt-radix-props-not-per-width",
      enforce: "pre",
      transform(code, id) {
        if (!/[\\/]app[\\/]routes[\\/]/.test(id)) return;
        const found = code.match(perWidthProp);
        if (found) this.error(`${id} gives a Radix prop per screen width (${found[0]}...): ` +
          "lbt_app/frontend_build.py took Radix's classes for that out; lay it out in CSS " +
          "(components/layout.py grid_columns)");
      },
    },
    {
      name: "lbt-radix-without-breakpoints",
      transform(code, id) {
        if (!/\.css($|\?)/.test(id) || !perWidthClass.test(code)) return;
        const root = postcss.parse(code);
        root.walkAtRules("media", (media) => {
          if (!widths.test(media.params)) return;
          media.walkRules((rule) => { if (perWidthClass.test(rule.selector)) rule.remove(); });
          if (!media.nodes.length) media.remove();
        });
        const css = root.toString();
        if (perWidthClass.test(css)) this.error(`${id}: Radix's per-width classes changed form`);
        return { code: css, map: null };
      },
    },
  ];
}

"""
VITE_CONFIG = "vite.config.js"
CONFIG_ANCHOR = "export default defineConfig("
PLUGINS_ANCHOR = "  plugins: [\n"


def _drop_radix_loader(root: str) -> str:
    if RADIX_LOADER not in root:
        msg = f"{ROOT} has no lazy loader for Radix Themes: Reflex's template changed"
        raise RuntimeError(msg)
    return root.replace(RADIX_LOADER, "", 1)


def _lean_vite_config(config: str) -> str:
    if CONFIG_ANCHOR not in config or PLUGINS_ANCHOR not in config:
        msg = f"{VITE_CONFIG} has no {CONFIG_ANCHOR!r} or plugins list: Reflex's template changed"
        raise RuntimeError(msg)
    plugins = THEME_WITHOUT_TOOLTIPS + RADIX_WITHOUT_BREAKPOINTS
    config = config.replace(CONFIG_ANCHOR, plugins + CONFIG_ANCHOR, 1)
    calls = "    themeWithoutTooltips(),\n    radixWithoutBreakpoints(),\n"
    return config.replace(PLUGINS_ANCHOR, PLUGINS_ANCHOR + calls, 1)


class LeanRadixThemes(rx.plugins.RadixThemesPlugin):
    """Radix Themes with its stylesheet in parts (the colour scales the app uses, not all 30)
    and, in the scripts, only the components the pages use."""

    def get_stylesheet_paths(self, **context) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        return (  # in the order of Radix's own (the scales before base: it maps gray to sage)
            *(f"@radix-ui/themes/tokens/colors/{scale}.css" for scale in COLOUR_SCALES),
            "@radix-ui/themes/tokens/base.css",
            "@radix-ui/themes/components.css",
            "@radix-ui/themes/utilities.css",
        )

    def pre_compile(self, **context) -> None:
        super().pre_compile(**context)
        if self.enabled:
            context["add_modify_task"](ROOT, _drop_radix_loader)
            context["add_modify_task"](VITE_CONFIG, _lean_vite_config)


def _word_tables() -> list[tuple[str, str]]:
    return [
        (str(Path(constants.Dirs.PUBLIC) / "assets" / name), text)
        for name, text in map(word_table, LANGUAGES)
    ]


class WordTables(rx.plugins.Plugin):
    """The pages' words, a file per language in the built assets (named after their content,
    compressed and cached for a year as the bundler's own are); assets/words.js fetches them."""

    def pre_compile(self, **context) -> None:
        context["add_save_task"](_word_tables)


class WasmCompression(rx.plugins.Plugin):
    """After `reflex export`/`run --env prod` builds: a compressed copy beside each `.wasm`."""

    def post_build(self, **context) -> None:
        formats = get_config().frontend_compression_formats
        files = sorted(str(p) for p in context["static_dir"].rglob("*.wasm"))
        node = path_ops.get_node_path()
        if not formats or not files or node is None:  # no Node: Reflex's build fails anyway
            return
        subprocess.run(  # noqa: S603 — Node.js, our script, the build's own files
            [str(node), "--input-type=module", "-e", COMPRESS, ",".join(formats), *files],
            check=True,
        )


# Rolldown's chunking (vite.config.js) gives each Radix component and each icon a chunk of its own:
# the officer page fetched 37 scripts, 20 of them under 3 KB, each waiting for a round trip (and,
# over HTTP/1.1, for one of the browser's 6 connections to the host). Modules used by the same
# set of pages go into one chunk. Small sets are not merged into a neighbour: which neighbour
# changed from one build directory to the next, and the officer page then fetched 30 KB of
# admin-only modules with its own (at 60 KB merged chunks even ran in the wrong order: no page
# hydrated). Changed the way Reflex's own EmbedPlugin does.
CHUNK_GROUP = """
            {
              name: "shared",
              test: /node_modules|[\\\\/]\\.web[\\\\/](app_components|utils|components)[\\\\/]/,
              entriesAware: true,
              entriesAwareMergeThreshold: 0,
            },"""
GROUPS_ANCHOR = "groups: ["


def _group_chunks(config: str) -> str:
    if GROUPS_ANCHOR not in config:
        msg = f"{VITE_CONFIG} has no {GROUPS_ANCHOR!r}: Reflex's template changed"
        raise RuntimeError(msg)
    return config.replace(GROUPS_ANCHOR, GROUPS_ANCHOR + CHUNK_GROUP, 1)


class FewerChunks(rx.plugins.Plugin):
    """Fewer, larger chunks: a page's scripts in a few requests instead of dozens, none of them
    holding modules only other pages use."""

    def pre_compile(self, **context) -> None:
        context["add_modify_task"](VITE_CONFIG, _group_chunks)
