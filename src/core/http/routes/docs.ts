import { Hono } from "hono";
import type { AppEnv } from "../env";

/** Swagger UI, served from this Worker's own static assets (scripts/build-assets.mjs). */
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Game DB API</title>
  <link rel="icon" href="/favicon.ico">
  <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
  <nav style="font: 14px/1.5 sans-serif; padding: 8px 20px; border-bottom: 1px solid #d5dae2">
    <a href="/">← Game DB web UI</a>
  </nav>
  <div id="swagger-ui"></div>
  <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/vendor/swagger-ui/init.js"></script>
</body>
</html>
`;

/**
 * Swagger UI needs its own scripts, inline styles (it sets them at run time) and data: images.
 * No page may frame it (clickjacking: "Try it out" sends requests with the visitor's key);
 * X-Frame-Options says the same to browsers without CSP frame-ancestors.
 */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

export const docsRoutes = new Hono<AppEnv>().get("/docs", (c) => {
  c.header("Content-Security-Policy", DOCS_CSP);
  c.header("X-Frame-Options", "DENY");
  return c.html(DOCS_HTML);
});
