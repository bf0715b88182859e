import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { inlineEarlyScript } from "./inline-early-script.js";

// `npm run console:dev` serves the sources on Vite's own port; its calls go to this server.
const devTarget = process.env["FLYTEADMIN_URL"] ?? "http://127.0.0.1:8089";

// The console is served by the server itself under /console, so every asset URL carries that base
// and the build lands next to the server's own build output.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  plugins: [react(), inlineEarlyScript()],
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
