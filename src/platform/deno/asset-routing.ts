// How the Deno server serves public/ the way Workers static assets do. Plain TypeScript (no
// Deno globals), so the Node tests can check it against wrangler.toml.

/**
 * Paths the API answers before any static file is looked up: the `run_worker_first` list of
 * wrangler.toml's [assets] (test/node/deno.test.ts checks they agree). Everything else is a
 * file under public/ when one exists, and the API (its 404) otherwise — `not_found_handling =
 * "none"` on Workers.
 */
export const API_FIRST = ["/api/*", "/health", "/openapi.json", "/docs", "/problems", "/problems/*"] as const;

export function isApiFirst(pathname: string): boolean {
  return API_FIRST.some((pattern) => (pattern.endsWith("/*") ? pathname.startsWith(pattern.slice(0, -1)) : pathname === pattern));
}

/** Files Workers reads as configuration and never serves. */
export const CONFIG_FILES = new Set(["/_headers", "/_redirects", "/.assetsignore"]);

export interface HeaderRule {
  pattern: RegExp;
  set: [name: string, value: string][];
  detach: string[];
}

/**
 * Parses a Cloudflare `_headers` file: a URL pattern on its own line (`*` matches anything,
 * `:name` one path segment), then indented `Name: value` lines, or `! Name` to remove a header
 * an earlier rule set. `#` starts a comment.
 */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  let current: HeaderRule | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (!/^\s/.test(raw)) {
      if (!line.startsWith("/")) throw new Error(`_headers: unsupported pattern ${JSON.stringify(line)} (only paths)`);
      const source = line
        .split(/(\*|:[A-Za-z]\w*)/)
        .map((part) => (part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
      current = { pattern: new RegExp(`^${source}$`), set: [], detach: [] };
      rules.push(current);
      continue;
    }
    if (!current) throw new Error(`_headers: header line before any pattern: ${JSON.stringify(line)}`);
    if (line.startsWith("!")) {
      current.detach.push(line.slice(1).trim().toLowerCase());
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`_headers: not a header line: ${JSON.stringify(line)}`);
    current.set.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}

/** The headers the rules give `pathname`: every matching rule, in order; repeated names are joined. */
export function headersFor(rules: HeaderRule[], pathname: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const rule of rules) {
    if (!rule.pattern.test(pathname)) continue;
    for (const name of rule.detach) headers.delete(name);
    for (const [name, value] of rule.set) {
      const key = name.toLowerCase();
      const previous = headers.get(key);
      headers.set(key, previous ? `${previous}, ${value}` : value);
    }
  }
  return headers;
}
