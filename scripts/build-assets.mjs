// Builds the browser assets the Worker serves from public/ (Workers static assets):
// 1. the web UI: src/ui/ bundled with esbuild (Preact included) into public/app/app.js and
//    public/app/app.css — no CDN, no inline script, so it runs under the strict CSP in
//    public/_headers;
// 2. third-party assets copied from node_modules into public/vendor/ (Swagger UI for /docs).
// Both output folders are git-ignored. Run by `npm run dev`, `npm test`, `npm run test:e2e`,
// the deploy scripts and wrangler's [build] step.
//
//   node scripts/build-assets.mjs [--dev]     (--dev: no minification)
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");

// --- the web UI ---------------------------------------------------------------------------
const appDir = path.join(root, "public/app");
await rm(appDir, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: path.join(root, "src/ui/main.tsx") },
  outdir: appDir,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: path.join(root, "src/ui/tsconfig.json"),
  minify: !dev,
  sourcemap: "linked",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
});
const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith(".map"))
  .map(([file, { bytes }]) => `${path.basename(file)} ${(bytes / 1024).toFixed(1)} KiB`);
console.log(`assets: web UI built into ${path.relative(root, appDir)} (${sizes.join(", ")})`);

// --- vendored third-party assets ------------------------------------------------------------
const swaggerDir = path.join(root, "public/vendor/swagger-ui");
await mkdir(swaggerDir, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
  await cp(path.join(root, "node_modules/swagger-ui-dist", file), path.join(swaggerDir, file));
}
// A file, not an inline script, so /docs can run under a strict Content-Security-Policy.
await writeFile(
  path.join(swaggerDir, "init.js"),
  `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false });\n`,
);
console.log(`assets: swagger-ui copied to ${path.relative(root, swaggerDir)}`);
