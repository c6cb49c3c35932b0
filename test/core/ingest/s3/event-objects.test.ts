// Normalising what an S3 event says about an object to what ListObjectsV2 says about it.
import { describe, expect, it } from "vitest";
import { compareSequencers, decodeEventKey, quoteEtag } from "../../../../src/core/ingest/s3/event-objects";

describe("decodeEventKey (S3 form-URL-encodes keys in events)", () => {
  it.each([
    ["red+flower.jpg", "red flower.jpg"],
    ["c%2B%2B+packages/a%2Bb.json", "c++ packages/a+b.json"],
    ["daily/%C3%A9t%C3%A9/%F0%9F%8E%AE.json", "daily/été/🎮.json"],
    ["100%25+real.json", "100% real.json"],
    ["plain/key.json", "plain/key.json"],
  ])("%s → %s", (encoded, key) => {
    expect(decodeEventKey(encoded)).toBe(key);
  });

  it("throws on a % that starts no valid escape", () => {
    expect(() => decodeEventKey("daily/%E0%A4%A.json")).toThrow(URIError);
  });
});

describe("quoteEtag", () => {
  it("quotes a bare ETag and leaves a quoted one", () => {
    expect(quoteEtag("0123456789abcdef0123456789abcdef")).toBe('"0123456789abcdef0123456789abcdef"');
    expect(quoteEtag('"4af981f98d22a0b9979da24b259e5e42-12"')).toBe('"4af981f98d22a0b9979da24b259e5e42-12"');
  });
});

describe("compareSequencers (same key only; right-padded with zeros, then compared as text)", () => {
  it.each([
    ["0055AED6DCD90281E5", "0055AED6DCD90281F0", -1],
    ["0055AED6DCD90281F0", "0055AED6DCD90281E5", 1],
    ["0055AED6DCD90281E5", "0055aed6dcd90281e5", 0],
    // Different lengths: the shorter is padded on the right.
    ["0055AED6DCD9029", "0055AED6DCD90281E5", 1],
    ["617F0829", "617F08299329D189", -1],
    ["617F08290000", "617F0829", 0],
  ])("%s vs %s → %d", (a, b, sign) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(sign);
  });
});
