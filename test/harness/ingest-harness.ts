// A loopback HTTP server for the ingestion tests, run in Node by vitest's global setup. It sits
// between the Worker and the real S3-compatible server (s3rver) and adds what s3rver cannot do
// on demand: SigV4 verification (s3rver ignores signatures), injected faults, a log of the
// requests the Worker made, and a Slack-style webhook sink for alerts.
//
// Control endpoints (called by tests from inside workerd):
//   PUT    /__harness/faults      body: FaultRule[]  — replaces the rules
//   GET    /__harness/requests    — S3 requests seen since the last DELETE
//   GET    /__harness/alerts      — webhook posts received since the last DELETE
//   POST   /__harness/webhook     — the alert sink (ALERT_WEBHOOK_URL)
//   POST   /__harness/webhook?status=500 — a failing sink: answers that status, records nothing
//   POST   /__harness/webhook?hang=1     — a hanging sink: never answers (the socket is closed
//                                           when the caller gives up, or after 20 s)
//   PUT    /__harness/pages/<path>[?status=N] body — serves the body at GET /__harness/pages/<path>
//                                           (status N, default 200): what a test must put on
//                                           loopback, e.g. an SNS signing certificate
//   GET    /__harness/pages/<path> — that page; every GET is counted
//   GET    /__harness/page-hits   — { "<path>": GETs } since the last reset
//   POST   /__harness/reset       — clears rules, logs, alerts, pages and every object in the bucket
// Everything else is proxied to s3rver.
import http from "node:http";
import { AwsV4Signer } from "aws4fetch";

export interface FaultRule {
  /** Which S3 calls it hits: ListObjectsV2, GetObject, or any. */
  op: "list" | "get" | "any";
  /** Only objects whose key contains this. */
  key?: string;
  /** How many matching requests it affects; then it is spent. Default: all. */
  times?: number;
  /** How many matching requests it lets through untouched before it starts to act. Default: 0. */
  skip?: number;
  action:
    | { kind: "status"; status: number; code?: string }
    | { kind: "delay"; ms: number }
    | { kind: "truncate"; bytes: number }
    | { kind: "reset" }
    | { kind: "garble" }
    | { kind: "truncate-listing" };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  op: "list" | "get" | "other";
  authorization: string | null;
  amzDate: string | null;
  amzContentSha256: string | null;
  ifMatch: string | null;
  signatureValid: boolean | null;
  fault: string | null;
  /** When the harness received it (ms since the epoch). */
  at: number;
}

interface Options {
  s3Port: number;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const readBody = (stream: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });

async function verifySignature(req: http.IncomingMessage, options: Options): Promise<boolean | null> {
  const authorization = req.headers.authorization;
  if (!authorization) return null;
  const signedHeaders = authorization.match(/SignedHeaders=([^,]+)/)?.[1]?.split(";") ?? [];
  const presented = authorization.match(/Signature=([0-9a-f]+)/)?.[1];
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const signer = new AwsV4Signer({
    method: req.method ?? "GET",
    url: `http://${req.headers.host}${req.url}`,
    headers,
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: "s3",
    region: options.region,
    datetime: String(req.headers["x-amz-date"] ?? ""),
  });
  const expected = (await signer.authHeader()).match(/Signature=([0-9a-f]+)/)?.[1];
  return presented !== undefined && presented === expected;
}

function s3Error(res: http.ServerResponse, status: number, code: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startIngestHarness(options: Options) {
  let rules: FaultRule[] = [];
  let requests: RecordedRequest[] = [];
  let alerts: unknown[] = [];
  let pages = new Map<string, { status: number; body: Buffer }>();
  let pageHits: Record<string, number> = {};

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: "127.0.0.1", port: options.s3Port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${options.s3Port}` } },
        async (response) => {
          try {
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: await readBody(response) });
          } catch (error) {
            reject(error);
          }
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });

  /** XML text → string: the named entities and the numeric references S3 stores emit. */
  const xmlText = (text: string) =>
    text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, ref: string) => {
      if (ref[0] === "#") return String.fromCodePoint(ref[1]?.toLowerCase() === "x" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
      return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[ref.toLowerCase()]!;
    });

  const resetBucket = async () => {
    for (let round = 0; ; round++) {
      const list = await fetch(`http://127.0.0.1:${options.s3Port}/${options.bucket}?list-type=2&max-keys=1000`);
      const keys = [...(await list.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => xmlText(m[1]!));
      if (keys.length === 0) return;
      if (round >= 20) throw new Error(`bucket reset left ${keys.length} objects: ${keys.slice(0, 3).join(", ")}`);
      for (const key of keys) {
        const encoded = key.split("/").map(encodeURIComponent).join("/");
        await fetch(`http://127.0.0.1:${options.s3Port}/${options.bucket}/${encoded}`, { method: "DELETE" });
      }
    }
  };

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://harness");
      const body = await readBody(req);
      const json = (value: unknown, status = 200) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(value));
      };

      if (url.pathname === "/__harness/faults" && req.method === "PUT") return json((rules = JSON.parse(body.toString())));
      if (url.pathname === "/__harness/requests") return json(requests);
      if (url.pathname === "/__harness/alerts") return json(alerts);
      if (url.pathname === "/__harness/webhook" && req.method === "POST" && url.searchParams.has("hang")) {
        const timer = setTimeout(() => req.socket.destroy(), 20_000);
        req.socket.once("close", () => clearTimeout(timer));
        return;
      }
      if (url.pathname === "/__harness/webhook" && req.method === "POST" && url.searchParams.has("status")) {
        return json({ ok: false }, Number(url.searchParams.get("status")));
      }
      if (url.pathname === "/__harness/webhook" && req.method === "POST") {
        alerts.push(JSON.parse(body.toString()));
        return json({ ok: true });
      }
      if (url.pathname.startsWith("/__harness/pages/") && req.method === "PUT") {
        pages.set(url.pathname, { status: Number(url.searchParams.get("status") ?? 200), body });
        return json({ ok: true });
      }
      if (url.pathname.startsWith("/__harness/pages/") && req.method === "GET") {
        pageHits[url.pathname] = (pageHits[url.pathname] ?? 0) + 1;
        const page = pages.get(url.pathname);
        res.writeHead(page?.status ?? 404, { "Content-Type": "text/plain", "Content-Length": page?.body.length ?? 0 });
        return res.end(page?.body);
      }
      if (url.pathname === "/__harness/page-hits") return json(pageHits);
      if (url.pathname === "/__harness/reset" && req.method === "POST") {
        rules = [];
        requests = [];
        alerts = [];
        pages = new Map();
        pageHits = {};
        await resetBucket();
        return json({ ok: true });
      }

      // An S3 call: path-style /<bucket>[/<key>].
      const [, bucket, ...keyParts] = url.pathname.split("/");
      const key = decodeURIComponent(keyParts.join("/"));
      const op: RecordedRequest["op"] = req.method === "GET" && bucket === options.bucket ? (key ? "get" : "list") : "other";
      const record: RecordedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        op,
        authorization: req.headers.authorization ?? null,
        amzDate: (req.headers["x-amz-date"] as string | undefined) ?? null,
        amzContentSha256: (req.headers["x-amz-content-sha256"] as string | undefined) ?? null,
        ifMatch: (req.headers["if-match"] as string | undefined) ?? null,
        signatureValid: await verifySignature(req, options),
        fault: null,
        at: Date.now(),
      };
      requests.push(record);
      if (record.signatureValid === false) return s3Error(res, 403, "SignatureDoesNotMatch");

      const rule = rules.find((r) => (r.times ?? Infinity) > 0 && (r.op === "any" || r.op === op) && (!r.key || key.includes(r.key)));
      if (rule && op !== "other" && rule.skip) {
        rule.skip--;
      } else if (rule && op !== "other") {
        if (rule.times !== undefined) rule.times--;
        record.fault = rule.action.kind;
        const action = rule.action;
        if (action.kind === "status") return s3Error(res, action.status, action.code ?? `Injected${action.status}`);
        if (action.kind === "reset") return req.socket.destroy();
        if (action.kind === "delay") await new Promise((r) => setTimeout(r, action.ms));
        const upstream = await forward(req, body);
        const headers = { ...upstream.headers };
        delete headers["transfer-encoding"];
        if (action.kind === "truncate") {
          res.writeHead(upstream.status, { ...headers, "content-length": upstream.body.length });
          res.write(upstream.body.subarray(0, action.bytes));
          // Let the bytes leave, then cut the connection mid-body.
          return setTimeout(() => res.socket?.destroy(), 50);
        }
        if (action.kind === "garble") {
          const garbled = Buffer.from(upstream.body);
          garbled.fill(0x23, Math.floor(garbled.length / 2), Math.floor(garbled.length / 2) + 16);
          res.writeHead(upstream.status, { ...headers, "content-length": garbled.length });
          return res.end(garbled);
        }
        if (action.kind === "truncate-listing") {
          const cut = upstream.body.subarray(0, Math.floor(upstream.body.length / 2));
          res.writeHead(upstream.status, { ...headers, "content-length": cut.length });
          return res.end(cut);
        }
        res.writeHead(upstream.status, { ...headers, "content-length": upstream.body.length });
        return res.end(upstream.body);
      }

      const upstream = await forward(req, body);
      const headers = { ...upstream.headers };
      delete headers["transfer-encoding"];
      res.writeHead(upstream.status, { ...headers, "content-length": upstream.body.length });
      res.end(upstream.body);
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`harness error: ${error instanceof Error ? error.stack : String(error)}`);
    }
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("harness did not bind");
  return { port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
