import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type HtmlTagDescriptor, type Plugin } from "vite";

// `npm run console:dev` serves the sources on Vite's own port; its calls go to this server.
const devTarget = process.env["FLYTEADMIN_URL"] ?? "http://127.0.0.1:8089";

/** The app's module, which the entry script imports once it has sent a first visit's early calls. */
const APP_CHUNK = "start";

/**
 * The entry script is small and imports the app dynamically (src/main.tsx), so on its own the
 * browser would ask for the app's chunks only once the entry has run: the page names them as module
 * preloads, and they load alongside the entry. The entry is also made `async`, so it runs as soon as
 * it arrives rather than after the stylesheet (a deferred script waits for style sheets), and its
 * early calls go out at once; painting still waits for the stylesheet.
 */
function preloadAppChunks(): Plugin {
  let base = "/";
  return {
    name: "console-preload-app-chunks",
    apply: "build",
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: "post",
      handler(html, { bundle, chunk: entry }): { html: string; tags: HtmlTagDescriptor[] } | undefined {
        if (!bundle || !entry) return undefined;
        const app = entry.dynamicImports.map((f) => bundle[f]).find((c) => c?.type === "chunk" && c.name === APP_CHUNK);
        if (!app) throw new Error(`the entry script does not import the "${APP_CHUNK}" chunk`);
        const files = new Set<string>();
        const visit = (file: string) => {
          if (file === entry.fileName || entry.imports.includes(file) || files.has(file)) return;
          files.add(file);
          const c = bundle[file];
          if (c?.type === "chunk") c.imports.forEach(visit);
        };
        visit(app.fileName);
        const script = `<script type="module" crossorigin src="${base}${entry.fileName}">`;
        if (!html.includes(script)) throw new Error(`the page has no ${script}`);
        return {
          html: html.replace(script, `<script type="module" async crossorigin src="${base}${entry.fileName}">`),
          tags: [...files].map((file) => ({ tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `${base}${file}` }, injectTo: "head" })),
        };
      },
    },
  };
}

// The console is served by the server itself under /console, so every asset URL carries that base
// and the build lands next to the server's own build output.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  plugins: [react(), preloadAppChunks()],
  // The app calls its own origin; in development that is Vite, which passes the RPCs on.
  server: { proxy: { "^/flyteidl\\.": { target: devTarget } } },
  build: {
    outDir: "../dist/console",
    emptyOutDir: true,
    // Source maps stay out of the served folder: they would double its size for little use.
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
