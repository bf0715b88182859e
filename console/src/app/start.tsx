import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";

/** Renders the console into `root`; loaded by the entry script after it has sent any early calls. */
export function start(root: HTMLElement): void {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
