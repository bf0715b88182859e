import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/app.js";
import { preloadPageAt } from "./app/router.js";
import "./app/app.css";

const root = document.getElementById("root");
if (!root) throw new Error("the page has no #root element");
// The first page's module before the first render, so that render shows the page itself (router.tsx).
// A module that fails to load fails again in the router, which shows the error.
void preloadPageAt(window.location.pathname)
  .catch(() => undefined)
  .then(() =>
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );
