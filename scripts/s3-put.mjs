// `npm run s3:put -- FILE [KEY]`: uploads FILE to the local S3 that `npm run dev` (or
// `npm run dev:deno`, `npm run s3:local`) runs, so that the next ingestion run picks it up.
// KEY defaults to <S3_PREFIX><today, UTC>/<file name>, e.g. daily/2026-12-04/new-games.ndjson:
// under the prefix the scanner lists, dated today so it counts as the newest file (README,
// "Which file is newer"). Uploading again under the same key is a new version (a new ETag),
// which the next run ingests as a new ledger row.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { devSettings, localWorkerVars } from "./lib/local-dev.mjs";

const USAGE = "usage: npm run s3:put -- FILE [KEY]   (KEY defaults to daily/<today>/<file name>)";
const CONTENT_TYPES = { ".json": "application/json", ".ndjson": "application/x-ndjson", ".gz": "application/gzip" };

async function main([file, key, ...rest]) {
  if (!file || rest.length) throw new Error(USAGE);
  const settings = devSettings();
  const vars = await localWorkerVars(settings.devVarsFile);
  // npm runs scripts from the package root; a relative FILE is meant from where npm was called.
  const source = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
  const body = await readFile(source).catch((error) => {
    throw new Error(`cannot read ${source}: ${error.code ?? error.message}`);
  });
  const prefix = vars.S3_PREFIX ?? "";
  const objectKey = key ?? `${prefix}${new Date().toISOString().slice(0, 10)}/${path.basename(source)}`;
  if (!objectKey.startsWith(prefix)) console.warn(`s3:put: ${objectKey} is not under S3_PREFIX "${prefix}": ingestion will not see it`);

  const origin = `http://127.0.0.1:${settings.s3Port}`;
  const url = `${origin}/${vars.S3_BUCKET}/${objectKey.split("/").map(encodeURIComponent).join("/")}`;
  const contentType = CONTENT_TYPES[path.extname(source)] ?? "application/octet-stream";
  // The local S3 (s3rver) takes unsigned uploads; the Worker's own requests are signed.
  const res = await fetch(url, { method: "PUT", body, headers: { "Content-Type": contentType } }).catch((error) => {
    throw new Error(`no local S3 answers on ${origin} (${error.cause?.code ?? error.message}); start npm run dev, npm run dev:deno or npm run s3:local`);
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  console.log(`s3:put: s3://${vars.S3_BUCKET}/${objectKey} (${body.length} bytes, ETag ${res.headers.get("ETag")}) on ${origin}`);
  console.log("s3:put: the next ingestion run reads it: POST /api/games/populate, or GET /__scheduled?cron=0+3+*+*+* on npm run dev");
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`s3:put: ${error.message}`);
  process.exitCode = 1;
});
