import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { etag, RETAINED_304_HEADERS } from "hono/etag";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { AppError, isProblemCode, PROBLEM_CODES, PROBLEMS, type ProblemCode, problemType } from "../../errors";
import type { AppEnv } from "../env";
import { ETAG, WRITE_HEADERS } from "../schemas/headers";
import { errorResponses, type HeaderDoc, problemExample } from "../schemas/problem";

// The error catalogue: every problem `type` the API answers with is a page here
// (errors.ts problemType), generated from the one registry, errors.ts PROBLEMS. Nothing from the
// request is ever written into a page: the code in the path only selects one of the registry's
// entries, and an unknown one is a 404 problem that does not repeat it.

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
a{color:#0b5cad}code,pre{font:14px/1.4 ui-monospace,monospace;background:#f2f4f7;border-radius:4px}code{padding:0 3px}
pre{padding:.75rem;overflow:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d5dae2}
nav{font-size:14px;margin-bottom:1.5rem}dt{font-weight:600}dd{margin:0 0 .5rem}`;

/** A CSP that allows exactly this page's one inline style: no scripts, no other sources, no framing. */
let csp: Promise<string> | undefined;
function contentSecurityPolicy(): Promise<string> {
  csp ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(STYLE)).then((digest) => {
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    return `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  });
  return csp;
}

/** The registry's text, with its `code` spans as <code> (everything escaped by `html`). */
const prose = (text: string) => text.split("`").map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));

function page(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Game DB API</title>
<style>${STYLE}</style>
</head>
<body>
<nav><a href="/problems">Problem types</a> · <a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI document</a></nav>
<main>
${body}
</main>
</body>
</html>
`;
}

function problemPage(code: ProblemCode) {
  const { status, title, explanation, action } = PROBLEMS[code];
  const example = JSON.stringify(problemExample(code).value, null, 2);
  return page(
    `${title} (${status})`,
    html`<h1>${title}</h1>
<dl>
<dt>type</dt><dd><code>${problemType(code)}</code></dd>
<dt>status</dt><dd>${status}</dd>
</dl>
<h2>What it means</h2>
<p>${prose(explanation)}</p>
<h2>What to do</h2>
<p>${prose(action)}</p>
<h2>Example</h2>
<p>Errors are <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> problem details (<code>application/problem+json</code>). Every one carries a <code>requestId</code>, also sent as the <code>X-Request-Id</code> header: quote it when you report a problem.</p>
<pre>${example}</pre>`,
  );
}

function catalogue() {
  const rows = PROBLEM_CODES.map((code) => html`<tr><td>${PROBLEMS[code].status}</td><td><a href="${problemType(code)}">${PROBLEMS[code].title}</a></td><td><code>${problemType(code)}</code></td></tr>`);
  return page(
    "Problem types",
    html`<h1>Problem types</h1>
<p>Every error of the Game DB API is an <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> problem whose <code>type</code> is one of these pages: resolve it against the URL you called to read what the error means and what to do.</p>
<table>
<thead><tr><th>status</th><th>title</th><th>type</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
  );
}

/** An hour: the pages change only with a deployment. */
const CACHE_CONTROL = "public, max-age=3600";
const htmlContent = (example: string) => ({ "text/html": { schema: z.string(), example } });

/** Every page carries its validator and its policies; a 304 the validator (RFC 9110 §15.4.5). */
const VALIDATOR = { ETag: ETAG } satisfies Record<string, HeaderDoc>;
const PAGE_HEADERS = {
  ...WRITE_HEADERS,
  ...VALIDATOR,
  "Cache-Control": { schema: { type: "string" }, description: `\`${CACHE_CONTROL}\`: the pages change only with a deployment`, required: true },
  "Content-Security-Policy": { schema: { type: "string" }, description: "No scripts, no other sources, no framing", required: true },
} satisfies Record<string, HeaderDoc>;
/** hono/etag keeps only the validators on a 304; the request id and the quota are every response's. */
const pageEtag = etag({ retainedHeaders: [...RETAINED_304_HEADERS, ...Object.keys(WRITE_HEADERS).map((name) => name.toLowerCase())] });
const pageResponses = (description: string, example: string) => ({
  200: { description, headers: PAGE_HEADERS, content: htmlContent(example) },
  304: { description: "Not modified (If-None-Match matched)", headers: { ...WRITE_HEADERS, ...VALIDATOR } },
});

const listRoute = createRoute({
  method: "get",
  path: "/problems",
  operationId: "listProblemTypes",
  tags: ["Operations"],
  summary: "The error catalogue: every problem type",
  description: "No API key needed. An HTML page listing every problem `type` the API answers with, each linking to its own page.",
  security: [],
  middleware: [pageEtag] as const,
  responses: { ...pageResponses("The catalogue (HTML)", "<!doctype html>\n<html lang=\"en\">…<h1>Problem types</h1>…</html>"), ...errorResponses() },
});

const pageRoute = createRoute({
  method: "get",
  path: "/problems/{code}",
  operationId: "getProblemType",
  tags: ["Operations"],
  summary: "One problem type: what it means and what to do",
  description: "No API key needed. The page a problem's `type` (`/problems/<code>`, relative to the API's URL) resolves to: its status, title, explanation, what to do, and an example.",
  security: [],
  middleware: [pageEtag] as const,
  request: { params: z.object({ code: z.string().openapi({ example: "validation", description: "The problem's code: the last segment of its `type`" }) }) },
  responses: {
    ...pageResponses("The problem type's page (HTML)", "<!doctype html>\n<html lang=\"en\">…<h1>Request validation failed</h1>…</html>"),
    ...errorResponses("not-found"),
  },
});

export const problemsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    c.header("Cache-Control", CACHE_CONTROL);
    c.header("Content-Security-Policy", await contentSecurityPolicy());
    return c.html(catalogue(), 200);
  })
  .openapi(pageRoute, async (c) => {
    const { code } = c.req.valid("param");
    if (!isProblemCode(code)) throw new AppError("not-found", "No such problem type; /problems lists them all");
    c.header("Cache-Control", CACHE_CONTROL);
    c.header("Content-Security-Policy", await contentSecurityPolicy());
    return c.html(problemPage(code), 200);
  });
