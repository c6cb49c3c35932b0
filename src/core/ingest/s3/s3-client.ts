import { AwsClient } from "aws4fetch";
import type { S3Config } from "../../config";
import { IngestError } from "../errors";
import { parseListObjectsV2, type S3Object } from "./list-objects-xml";

export type { S3Object };

/** Encodes a key for the request path as SigV4 expects it (RFC 3986, `/` kept). */
function encodeKey(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`))
    .join("/");
}

const unquote = (etag: string) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");

/** Reads the `<Code>` of an S3 error body, bounded, for the error message. */
async function errorCode(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  return text.slice(0, 2000).match(/<Code>([^<]{1,100})<\/Code>/)?.[1] ?? response.statusText;
}

async function httpError(response: Response, what: string): Promise<IngestError> {
  const status = response.status;
  const code = await errorCode(response);
  const transient = status >= 500 || status === 429 || status === 408;
  return new IngestError(transient ? "transient" : "permanent", `s3-${status}`, `${what}: S3 answered ${status} ${code}`);
}

export interface S3Client {
  /** Every object under the prefix, following continuation tokens until the listing ends. */
  listAll(prefix: string): Promise<S3Object[]>;
  /** The object as it was when listed: a changed object fails with 412 instead of mixing versions. */
  getObject(key: string, etag: string): Promise<{ body: ReadableStream<Uint8Array>; contentLength: number | null }>;
}

/**
 * ListObjectsV2 and GetObject, signed with SigV4 (aws4fetch). Works against AWS S3 and
 * S3-compatible stores, path-style or virtual-host style. Every call has a timeout; aws4fetch's
 * own retries are off because the queue retries with backoff.
 */
export function createS3Client(config: S3Config, fetchFn: typeof fetch = fetch): S3Client {
  const aws = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    service: "s3",
    region: config.region,
    retries: 0,
  });

  const bucketUrl = (): URL => {
    const endpoint = new URL(config.endpoint);
    if (config.urlStyle === "virtual-host") {
      endpoint.hostname = `${config.bucket}.${endpoint.hostname}`;
      endpoint.pathname = "/";
    } else {
      endpoint.pathname = `${endpoint.pathname.replace(/\/$/, "")}/${config.bucket}/`;
    }
    return endpoint;
  };

  /**
   * Signs and sends. The timeout covers the wait for the response headers only: a large body
   * may take longer to stream, and its reader applies an idle timeout instead (parse/guarded-body.ts).
   */
  const send = async (url: URL, headers: Record<string, string>, what: string): Promise<Response> => {
    const signed = await aws.sign(url.toString(), { method: "GET", headers });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), config.timeoutMs);
    try {
      return await fetchFn(signed, { signal: controller.signal });
    } catch (error) {
      const timedOut = controller.signal.aborted;
      throw new IngestError(
        "transient",
        timedOut ? "timeout" : "network",
        timedOut ? `${what}: no response within ${config.timeoutMs} ms` : `${what}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async listAll(prefix) {
      const objects: S3Object[] = [];
      let token: string | null = null;
      for (let page = 1; ; page++) {
        const url = bucketUrl();
        url.searchParams.set("list-type", "2");
        url.searchParams.set("max-keys", String(config.listPageSize));
        if (prefix) url.searchParams.set("prefix", prefix);
        if (token) url.searchParams.set("continuation-token", token);
        const what = `ListObjectsV2 page ${page} of s3://${config.bucket}/${prefix}`;
        const response = await send(url, {}, what);
        if (!response.ok) throw await httpError(response, what);
        const result = parseListObjectsV2(await response.text());
        objects.push(...result.objects);
        token = result.nextContinuationToken;
        if (!token) return objects;
      }
    },

    async getObject(key, etag) {
      const url = bucketUrl();
      url.pathname += encodeKey(key);
      const what = `GetObject s3://${config.bucket}/${key}`;
      const response = await send(url, { "If-Match": etag }, what);
      if (!response.ok || !response.body) throw await httpError(response, what);
      // Some S3-compatible stores (s3rver among them) ignore If-Match and serve the new version:
      // refuse it as S3 would (412) rather than record one version's data under another's ETag.
      const served = response.headers.get("ETag");
      if (served !== null && unquote(served) !== unquote(etag)) {
        await response.body.cancel().catch(() => undefined);
        throw new IngestError("permanent", "s3-412", `${what}: the object changed since it was listed (ETag ${served}, listed ${etag})`);
      }
      const length = response.headers.get("Content-Length");
      return { body: response.body, contentLength: length === null ? null : Number(length) };
    },
  };
}
