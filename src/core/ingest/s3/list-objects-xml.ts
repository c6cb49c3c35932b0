import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { IngestError } from "../errors";

export interface S3Object {
  key: string;
  /** As S3 sends it, quotes included: the value If-Match needs. */
  etag: string;
  size: number;
  lastModified: string | null;
}

export interface ListPage {
  objects: S3Object[];
  nextContinuationToken: string | null;
}

// S3-compatible servers differ in the XML namespace (s3rver uses its own), so elements are
// matched by local name and the namespace is ignored.
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  // Also decode numeric character references: S3 stores write `'` as `&#x27;` (s3rver) and
  // control characters as `&#13;` (AWS); without this a key comes out still escaped and its
  // GetObject 404s. Decoding is one pass, so `&amp;#39;` stays the literal text `&#39;`.
  htmlEntities: true,
  isArray: (name) => name === "Contents",
});

const ListBucketResultSchema = z.object({
  ListBucketResult: z.object({
    IsTruncated: z.enum(["true", "false"]),
    NextContinuationToken: z.string().optional(),
    Contents: z
      .array(
        z.object({
          Key: z.string().min(1),
          ETag: z.string().min(1),
          Size: z.string().regex(/^\d+$/),
          LastModified: z.string().optional(),
        }),
      )
      .default([]),
  }),
});

/** Parses a ListObjectsV2 response; a truncated or unexpected document is a permanent error. */
export function parseListObjectsV2(xml: string): ListPage {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new IngestError("permanent", "malformed-listing", `ListObjectsV2 response is not valid XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const parsed = ListBucketResultSchema.safeParse(parser.parse(xml));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IngestError("permanent", "malformed-listing", `Unexpected ListObjectsV2 response at ${issue.path.join(".")}: ${issue.message}`);
  }
  const result = parsed.data.ListBucketResult;
  const truncated = result.IsTruncated === "true";
  if (truncated && !result.NextContinuationToken) {
    throw new IngestError("permanent", "malformed-listing", "ListObjectsV2 response is truncated but has no NextContinuationToken");
  }
  return {
    objects: result.Contents.map((c) => ({
      key: c.Key,
      etag: c.ETag.startsWith('"') ? c.ETag : `"${c.ETag}"`,
      size: Number(c.Size),
      lastModified: c.LastModified ?? null,
    })),
    nextContinuationToken: truncated ? result.NextContinuationToken! : null,
  };
}
