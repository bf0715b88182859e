import { fileURLToPath } from "node:url";
import { build, type Plugin, type Rolldown } from "vite";

const EARLY_ENTRY = fileURLToPath(new URL("./src/early.ts", import.meta.url));
/** The page module whose files the early script asks for (the one its calls are for). */
const EXECUTION_PAGE = /[\\/]src[\\/]pages[\\/]execution[\\/]execution-page\.tsx$/;

/**
 * Puts the early script (src/early.ts, app/early-calls.ts) in the built page's head, inline and
 * before the app's script, so it runs while the page is parsed: a module script would wait for its
 * own file, for the style sheet, and for the parser. It is bundled on its own as a classic script,
 * and its element names the execution page's files (its chunk, the chunks it imports that the page
 * does not already load, and their style sheets), which the script asks for on that page.
 */
export function inlineEarlyScript(): Plugin {
  let base = "/";
  return {
    name: "console-inline-early-script",
    apply: "build",
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: "post",
      async handler(html, { bundle, chunk: entry }): Promise<string> {
        if (!bundle || !entry) return html;
        // Before the app's script and its style sheet: a classic script waits for the style sheets
        // above it. After the <meta> tags, which belong in the page's first kilobyte.
        const appScript = `<script type="module" crossorigin src="${base}${entry.fileName}">`;
        if (!html.includes(appScript)) throw new Error(`the page has no ${appScript}`);
        const files = executionPageFiles(bundle, entry).map((f) => `${base}${f}`);
        const early = `<script data-execution-page="${files.join(" ")}">${await bundleEarlyScript()}</script>`;
        return html.replace(appScript, `${early}\n    ${appScript}`);
      },
    },
  };
}

function executionPageFiles(bundle: Rolldown.OutputBundle, entry: Rolldown.OutputChunk): string[] {
  const page = Object.values(bundle).find((c): c is Rolldown.OutputChunk => c.type === "chunk" && EXECUTION_PAGE.test(c.facadeModuleId ?? ""));
  if (!page) throw new Error("the build has no execution page chunk");
  const loaded = new Set([entry.fileName, ...entry.imports]);
  const files = new Set<string>();
  const visit = (file: string) => {
    const c = bundle[file];
    if (loaded.has(file) || files.has(file) || c?.type !== "chunk") return;
    files.add(file);
    for (const css of c.viteMetadata?.importedCss ?? []) files.add(css);
    c.imports.forEach(visit);
  };
  visit(page.fileName);
  return [...files];
}

async function bundleEarlyScript(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: "warn",
    build: {
      write: false,
      minify: true,
      lib: { entry: EARLY_ENTRY, formats: ["iife"], name: "consoleEarlyCalls" },
    },
  });
  const chunk = (Array.isArray(out) ? out : [out]).flatMap((o) => ("output" in o ? o.output : [])).find((o) => o.type === "chunk");
  if (!chunk) throw new Error("the early script did not build");
  // Inline, the code must not end the element early.
  return chunk.code.replace(/<\/(script)/gi, "<\\/$1").trim();
}
