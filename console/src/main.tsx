import { startEarlyCalls } from "./app/early-calls.js";
import "./app/app.css";

// Before anything heavy: the app's modules are loaded below and take a while to evaluate (the
// protobuf descriptors), and a first visit's data and page module can be on their way meanwhile.
startEarlyCalls(window.location);

// This script is async (vite.config.ts), so it may run before the page's body is parsed.
const parsed =
  document.readyState === "loading" ? new Promise<void>((resolve) => document.addEventListener("DOMContentLoaded", () => resolve(), { once: true })) : Promise.resolve();
const rootElement = () => {
  const root = document.getElementById("root");
  if (!root) throw new Error("the page has no #root element");
  return root;
};
Promise.all([import("./app/start.js"), parsed]).then(
  ([{ start }]) => start(rootElement()),
  async (error: unknown) => {
    await parsed;
    // Without the app there is nothing to show this on but the page itself.
    rootElement().textContent = `The console could not load: ${error instanceof Error ? error.message : String(error)}. Reload the page to try again.`;
  },
);
