import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is served by the server itself under /console, so every asset URL carries that base
// and the build lands next to the server's own build output.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "../dist/console",
    emptyOutDir: true,
    // Source maps stay out of the served folder: they would double its size for little use.
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
