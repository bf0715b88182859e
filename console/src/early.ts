import { startEarlyCalls } from "./app/early-calls.js";

// The page's first script, inline in its head (the build puts it there: inline-early-script.ts), so it
// runs while the page is still being parsed. The build names the execution page's files on this element.
const files = document.currentScript?.dataset["executionPage"]?.split(" ").filter((f) => f !== "") ?? [];
startEarlyCalls(window.location, files, document);
