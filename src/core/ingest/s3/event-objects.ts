import { EVENTBRIDGE_OBJECT_CREATED, isObjectCreated, type S3EventDocument } from "../../domain/s3-events";

/**
 * The objects an S3 event document announces, normalised to what ListObjectsV2 gives for the
 * same object, so that the ledger's unique (key, ETag) is the same row whichever path — event or
 * scan — saw the file version first.
 */

/** A created object, as the scanner would have listed it, plus the event's ordering facts. */
export interface EventObject {
  bucket: string;
  /** Decoded: the object's real key, as ListObjectsV2 returns it. */
  key: string;
  /** Quoted, as ListObjectsV2 returns it (and If-Match wants it). */
  etag: string;
  size: number;
  /** The event's time (ISO-8601): what the ledger records as the file's LastModified. */
  eventTime: string;
  /** Upper-case hex, or null when the event carries none. */
  sequencer: string | null;
}

/** Why an entry of a document led to no file. */
export type IgnoredReason = "test-event" | "not-object-created" | "other-bucket" | "outside-prefix" | "not-a-data-file" | "older-version";

export interface DocumentEntries {
  created: EventObject[];
  /** One entry per record (or event) that is acknowledged and not ingested. */
  ignored: IgnoredReason[];
}

/** S3's limit on a key's UTF-8 length. */
const MAX_KEY_BYTES = 1024;

/** A key that is not validly encoded, with where it is in the document. */
export class EventKeyError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = "EventKeyError";
  }
}

/**
 * The key S3 puts in an event, decoded: S3 form-URL-encodes it (`red flower.jpg` arrives as
 * `red+flower.jpg`, a `+` as `%2B`, UTF-8 bytes as `%XX`), so `+` becomes a space first, then
 * percent escapes are decoded (notification-content-structure, "the object key name value is
 * URL encoded"). EventBridge's S3 events are decoded the same way.
 */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** An ETag as ListObjectsV2 gives it: in double quotes (events carry it bare). */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/**
 * Orders two sequencers of the same key: negative when `a` is older, positive when newer.
 * AWS: "The sequencers can be of different lengths. So, to compare these values, first right
 * pad the shorter value with zeros, and then do a lexicographical comparison"
 * (notification-content-structure). Sequencers of different keys are not comparable.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padEnd(width, "0");
  const right = b.toUpperCase().padEnd(width, "0");
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The created objects of a validated document, and the entries it acknowledges without a file. */
export function documentEntries(document: S3EventDocument): DocumentEntries {
  const created: EventObject[] = [];
  const ignored: IgnoredReason[] = [];
  const add = (path: (string | number)[], object: { bucket: string; key: string; etag: string; size: number; eventTime: string; sequencer?: string | undefined }) => {
    let key: string;
    try {
      key = decodeEventKey(object.key);
    } catch {
      throw new EventKeyError([...path, "key"], "is not a form-URL-encoded S3 key (a % not followed by two hex digits of UTF-8)");
    }
    if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw new EventKeyError([...path, "key"], `is longer than S3's ${MAX_KEY_BYTES} bytes once decoded`);
    created.push({ bucket: object.bucket, key, etag: quoteEtag(object.etag), size: object.size, eventTime: new Date(object.eventTime).toISOString(), sequencer: object.sequencer?.toUpperCase() ?? null });
  };

  switch (document.kind) {
    case "test":
      ignored.push("test-event");
      break;
    case "eventbridge": {
      const { event } = document;
      const object = event.detail.object;
      if (event["detail-type"] !== EVENTBRIDGE_OBJECT_CREATED) ignored.push("not-object-created");
      else add(["detail", "object"], { bucket: event.detail.bucket.name, key: object.key, etag: object.etag!, size: object.size!, eventTime: event.time, sequencer: object.sequencer });
      break;
    }
    case "notification":
      document.notification.Records.forEach((record, i) => {
        const object = record.s3.object;
        if (!isObjectCreated(record.eventName)) ignored.push("not-object-created");
        else add(["Records", i, "s3", "object"], { bucket: record.s3.bucket.name, key: object.key, etag: object.eTag!, size: object.size!, eventTime: record.eventTime, sequencer: object.sequencer });
      });
      break;
  }
  return { created, ignored };
}
