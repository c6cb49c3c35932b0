import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { IngestError } from "../../../src/core/ingest/errors";
import { createS3Client } from "../../../src/core/ingest/s3/s3-client";
import { deleteObject, gamesSnapshot, putObject, type RecordedRequest, resetIngestState, runCron, s3Requests, setFaults, waitForFilesSettled } from "../../helpers/ingest";
import { iosRecord, realDeps } from "../../helpers/ingest-pipeline";

const config = () => realDeps().config.ingest.s3;
const text = async (body: ReadableStream<Uint8Array>) => new Response(body).text();
const signed = async () => (await s3Requests()).filter((r) => r.op !== "other");

/** Runs `promise`, which must fail with an IngestError, and returns that error. */
async function ingestError(promise: Promise<unknown>): Promise<IngestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IngestError);
  return error as IngestError;
}

describe("S3 client", () => {
  beforeEach(resetIngestState);

  it("signs every call with SigV4 for service s3 in the configured region, and the signatures verify", async () => {
    expect(env.S3_REGION).toBe("eu-test-1");
    for (const name of ["a", "b", "c"]) await putObject(`daily/2021-12-09/${name}.json`, JSON.stringify([iosRecord(name.charCodeAt(0))]));
    const before = Date.now();
    await runCron();
    await waitForFilesSettled(3);

    const requests = await signed();
    // Two listing pages (page size 2) and one download per file.
    expect(requests.map((r) => r.op).sort()).toEqual(["get", "get", "get", "list", "list"]);
    const credential = new RegExp(
      `^AWS4-HMAC-SHA256 Credential=${env.S3_ACCESS_KEY_ID}/(\\d{8})/eu-test-1/s3/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`,
    );
    for (const request of requests) {
      const match = request.authorization?.match(credential);
      expect(match, `${request.op} ${request.path}: ${request.authorization}`).toBeTruthy();
      const [, scopeDate, signedHeaders] = match!;
      expect(request.amzDate).toMatch(/^\d{8}T\d{6}Z$/);
      expect(scopeDate).toBe(request.amzDate!.slice(0, 8));
      const at = Date.parse(request.amzDate!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
      expect(Math.abs(at - before)).toBeLessThan(60_000);
      expect(request.amzContentSha256).toBe("UNSIGNED-PAYLOAD");
      const headers = signedHeaders!.split(";");
      expect(headers).toEqual(expect.arrayContaining(["host", "x-amz-content-sha256", "x-amz-date"]));
      if (request.op === "get") expect(headers).toContain("if-match");
      expect(request.signatureValid).toBe(true);
    }
    // The continuation token is part of the signed query and still verifies.
    expect(requests.some((r) => r.op === "list" && r.query["continuation-token"])).toBe(true);
  });

  it("a client with the wrong secret is refused with 403, a permanent error", async () => {
    await putObject("daily/x.json", "[]");
    const wrongSecret = createS3Client({ ...config(), secretAccessKey: "not-the-secret" });
    const listing = await ingestError(wrongSecret.listAll("daily/"));
    expect(listing).toMatchObject({ kind: "permanent", code: "s3-403" });
    expect(listing.message).toContain("SignatureDoesNotMatch");

    const [object] = await createS3Client(config()).listAll("daily/");
    expect(await ingestError(wrongSecret.getObject(object!.key, object!.etag))).toMatchObject({ kind: "permanent", code: "s3-403" });

    const wrongRegion = createS3Client({ ...config(), region: "us-east-1" });
    expect(await ingestError(wrongRegion.listAll("daily/"))).toMatchObject({ kind: "permanent", code: "s3-403" });

    const verdicts = (await signed()).map((r: RecordedRequest) => [r.op, r.signatureValid]);
    expect(verdicts).toEqual([
      ["list", false],
      ["list", true],
      ["get", false],
      ["list", false],
    ]);
  });

  it("GetObject is pinned to the listed ETag: a changed object is refused as 412, a permanent error", async () => {
    await putObject("daily/pinned.json", JSON.stringify([iosRecord(1)]));
    const client = createS3Client(config());
    const [listed] = await client.listAll("daily/");
    const fresh = await client.getObject(listed!.key, listed!.etag);
    expect(JSON.parse(await text(fresh.body))).toEqual([iosRecord(1)]);

    await putObject("daily/pinned.json", JSON.stringify([iosRecord(2)]));
    const changed = await ingestError(client.getObject(listed!.key, listed!.etag));
    expect(changed).toMatchObject({ kind: "permanent", code: "s3-412" });

    const gets = (await signed()).filter((r) => r.op === "get");
    expect(gets.map((r) => r.ifMatch)).toEqual([listed!.etag, listed!.etag]);

    // What AWS S3 itself answers for a failed If-Match.
    const [current] = await client.listAll("daily/");
    await setFaults([{ op: "get", times: 1, action: { kind: "status", status: 412, code: "PreconditionFailed" } }]);
    const refused = await ingestError(client.getObject(current!.key, current!.etag));
    expect(refused).toMatchObject({ kind: "permanent", code: "s3-412" });
    expect(refused.message).toContain("PreconditionFailed");
    // The rule is spent: the current version downloads.
    expect(JSON.parse(await text((await client.getObject(current!.key, current!.etag)).body))).toEqual([iosRecord(2)]);
  });

  it("keys with spaces, +, unicode and reserved characters round-trip through list and get", async () => {
    const keys = [
      "daily/with space.json",
      "daily/plus+sign.json",
      "daily/ünïcødé/名前 ゲーム.json",
      "daily/amp&quote'(1)!<x>.json",
      "daily/percent%20literal.json",
      "daily/tilde~star*=eq.json",
    ];
    try {
      for (const [i, key] of keys.entries()) await putObject(key, JSON.stringify([iosRecord(i)]));
      const client = createS3Client(config());

      const listed = await client.listAll("daily/");
      expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
      for (const object of listed) {
        const body = JSON.parse(await text((await client.getObject(object.key, object.etag)).body));
        expect(body).toEqual([iosRecord(keys.indexOf(object.key))]);
      }
      expect((await signed()).every((r) => r.signatureValid === true)).toBe(true);

      // And through the whole pipeline.
      await runCron();
      const ledger = await waitForFilesSettled(keys.length);
      expect(ledger.map((f) => [f.key, f.status]).sort()).toEqual(keys.map((k) => [k, "done"]).sort());
      expect(await gamesSnapshot()).toHaveLength(keys.length);
    } finally {
      // The harness's bucket reset cannot delete keys that XML escapes (it reads them raw).
      for (const key of keys) await deleteObject(key);
    }
  });

  it("lists every object under the prefix across pages, and nothing outside it", async () => {
    const keys = ["daily/1.json", "daily/2.json", "daily/3.json", "daily/4.json", "daily/5.json"];
    for (const key of keys) await putObject(key, "[]");
    await putObject("daily-not/6.json", "[]");
    await putObject("other/7.json", "[]");
    const client = createS3Client(config());

    const listed = await client.listAll("daily/");
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.every((o) => /^"[0-9a-f]{32}"$/.test(o.etag) && o.size === 2 && o.lastModified !== null)).toBe(true);
    expect((await signed()).filter((r) => r.op === "list")).toHaveLength(3);
    expect(await client.listAll("nothing-here/")).toEqual([]);
  });
});
