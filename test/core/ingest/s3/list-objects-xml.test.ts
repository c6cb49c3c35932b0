import { describe, expect, it } from "vitest";
import { IngestError } from "../../../../src/core/ingest/errors";
import { parseListObjectsV2 } from "../../../../src/core/ingest/s3/list-objects-xml";

const S3RVER_NS = "http://doc.s3.amazonaws.com/2006-03-01/";
const AWS_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

function listing(ns: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${ns}">${body}</ListBucketResult>`;
}

const contents = (key: string, etag: string, size = 100, lastModified = "2021-12-09T03:00:00.000Z") =>
  `<Contents><Key>${key}</Key><LastModified>${lastModified}</LastModified><ETag>${etag}</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;

function failure(xml: string): IngestError {
  try {
    parseListObjectsV2(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }
  throw new Error("expected the listing to be rejected");
}

describe("parseListObjectsV2", () => {
  it.each([
    ["s3rver", S3RVER_NS],
    ["AWS", AWS_NS],
  ])("reads a %s page: keys, quoted ETags, sizes, timestamps and the continuation token", (_server, ns) => {
    const xml = listing(
      ns,
      `<Name>rankings</Name><Prefix>daily/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>` +
        contents("daily/2021-12-09/ios.top100.json", "&quot;9b2cf535f27731c974343645a3985328&quot;", 829514) +
        contents("daily/2021-12-09/android.top100.json", '"0c5e6c5f0a6f4b3b8a1c2d3e4f5a6b7c-2"', 12) +
        `<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>`,
    );
    expect(parseListObjectsV2(xml)).toEqual({
      objects: [
        { key: "daily/2021-12-09/ios.top100.json", etag: '"9b2cf535f27731c974343645a3985328"', size: 829514, lastModified: "2021-12-09T03:00:00.000Z" },
        { key: "daily/2021-12-09/android.top100.json", etag: '"0c5e6c5f0a6f4b3b8a1c2d3e4f5a6b7c-2"', size: 12, lastModified: "2021-12-09T03:00:00.000Z" },
      ],
      nextContinuationToken: "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
    });
  });

  it("reads a namespace prefix, a single object, and a last page", () => {
    const xml = `<?xml version="1.0"?><s3:ListBucketResult xmlns:s3="${AWS_NS}"><s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>daily/a.json</s3:Key><s3:ETag>"abc"</s3:ETag><s3:Size>0</s3:Size></s3:Contents></s3:ListBucketResult>`;
    expect(parseListObjectsV2(xml)).toEqual({ objects: [{ key: "daily/a.json", etag: '"abc"', size: 0, lastModified: null }], nextContinuationToken: null });
  });

  it("an empty bucket is an empty page", () => {
    expect(parseListObjectsV2(listing(S3RVER_NS, "<Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"))).toEqual({
      objects: [],
      nextContinuationToken: null,
    });
  });

  it("adds the quotes If-Match needs to an unquoted ETag", () => {
    const page = parseListObjectsV2(listing(AWS_NS, `<IsTruncated>false</IsTruncated>${contents("k.json", "abc123")}`));
    expect(page.objects[0]!.etag).toBe('"abc123"');
  });

  it("decodes XML entities in keys and keeps numeric-looking keys as text", () => {
    const page = parseListObjectsV2(
      listing(S3RVER_NS, `<IsTruncated>false</IsTruncated>${contents("daily/a&amp;b &lt;c&gt; &#233;.json", "&quot;e1&quot;")}${contents("0012", "&quot;e2&quot;")}`),
    );
    expect(page.objects.map((o) => o.key)).toEqual(["daily/a&b <c> é.json", "0012"]);
  });

  it("ignores an unrelated token on the last page", () => {
    const page = parseListObjectsV2(listing(AWS_NS, `<IsTruncated>false</IsTruncated><NextContinuationToken>stale</NextContinuationToken>${contents("k", '"e"')}`));
    expect(page.nextContinuationToken).toBeNull();
  });

  describe("rejects, as a permanent malformed-listing error", () => {
    const full = listing(S3RVER_NS, `<IsTruncated>true</IsTruncated>${contents("daily/a.json", "&quot;e&quot;")}<NextContinuationToken>t</NextContinuationToken>`);

    it.each([
      ["a document cut in half", full.slice(0, Math.floor(full.length / 2))],
      ["a document cut just before its end", full.slice(0, -3)],
      ["an empty body", ""],
      ["HTML", "<html><body>Bad gateway</body></html>"],
      ["an S3 error document", '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'],
      ["a page without IsTruncated", listing(AWS_NS, contents("k", '"e"'))],
      ["IsTruncated that is not true/false", listing(AWS_NS, `<IsTruncated>maybe</IsTruncated>`)],
      ["an object without a key", listing(AWS_NS, `<IsTruncated>false</IsTruncated><Contents><ETag>"e"</ETag><Size>1</Size></Contents>`)],
      ["an object without an ETag", listing(AWS_NS, `<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size></Contents>`)],
      ["a size that is not a number", listing(AWS_NS, `<IsTruncated>false</IsTruncated>${contents("k", '"e"').replace("<Size>100</Size>", "<Size>-1</Size>")}`)],
    ])("%s", (_what, xml) => {
      expect(failure(xml)).toMatchObject({ kind: "permanent", code: "malformed-listing" });
    });

    it("a truncated page without a continuation token (it would loop or stop early)", () => {
      const error = failure(listing(S3RVER_NS, `<IsTruncated>true</IsTruncated>${contents("daily/a.json", "&quot;e&quot;")}`));
      expect(error).toMatchObject({ kind: "permanent", code: "malformed-listing" });
      expect(error.message).toContain("NextContinuationToken");
    });
  });
});
