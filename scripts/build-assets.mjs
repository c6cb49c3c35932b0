// Copies third-party browser assets from node_modules into public/vendor/ so that the Worker
// serves them itself: the docs page (and the UI) work offline and load nothing from a CDN.
// Run by `npm run dev`, `npm test`, the deploy scripts and wrangler's [build] step.
import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
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
