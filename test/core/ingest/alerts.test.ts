// Slack alerts carry S3 keys and error texts, which whoever can upload a file controls: they
// are escaped per Slack's mrkdwn rules, so a key cannot ping a channel or plant a link.
import { beforeEach, describe, expect, it } from "vitest";
import { escapeMrkdwn, slackPayload } from "../../../src/core/ingest/alerts";
import { alertsMentioning, putObject, resetIngestState, runCron, setFaults, waitForFile } from "../../helpers/ingest";

/** Every mrkdwn string of a payload: the fallback text and each block's mrkdwn texts. */
function mrkdwnTexts(payload: ReturnType<typeof slackPayload>): string[] {
  const texts = [payload.text];
  for (const block of payload.blocks) {
    if (block.text?.type === "mrkdwn") texts.push(block.text.text);
    texts.push(...(block.fields ?? []).map((f) => f.text));
  }
  return texts;
}

const HOSTILE = ["<!channel>", "<!here>", "<@U123>", "<https://evil.example|click here>", "a & b > c"];

describe("slackPayload", () => {
  it("escapes &, < and > in the detail and the fields, so mentions and links stay inert", () => {
    const payload = slackPayload(
      { title: "Ingestion failed", detail: `daily/<!channel>.json could not be ingested: <https://evil.example|click here>`, fields: { key: "<!here> & <@U123>", n: 3, none: null } },
      "production",
    );
    for (const text of mrkdwnTexts(payload)) {
      expect(text).not.toMatch(/<[!@#h]/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(payload.text).toContain("daily/&lt;!channel&gt;.json");
    expect(payload.text).toContain("&lt;https://evil.example|click here&gt;");
    expect(payload.text).toContain("*key:* &lt;!here&gt; &amp; &lt;@U123&gt;");
    expect(payload.text).toContain("*n:* 3");
    // The header is plain_text, which Slack shows verbatim: left as written.
    expect(payload.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "[production] Ingestion failed" } });
  });

  it.each(HOSTILE)("escapeMrkdwn(%s) leaves no mrkdwn control character", (input) => {
    const escaped = escapeMrkdwn(input);
    expect(escaped).not.toMatch(/[<>]/);
    expect(escaped.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
    // Slack decodes the three entities back: the reader sees exactly the input.
    expect(escaped.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")).toBe(input);
  });
});

describe("an alert about a file whose key is hostile", () => {
  beforeEach(resetIngestState);

  it("reaches the webhook escaped", async () => {
    // (s3rver cannot store a key with an empty path segment, so the link is a mailto: one.)
    const key = "daily/<!channel> <mailto:it@evil.example|click> & more.json";
    await putObject(key, "[]");
    await setFaults([{ op: "get", action: { kind: "status", status: 403, code: "AccessDenied" } }]);
    await runCron();
    await waitForFile(key, (r) => r.status === "failed", "failed by the 403");

    const [alert] = await alertsMentioning("Ingestion failed");
    expect(alert).toBeDefined();
    const received = JSON.stringify(alert);
    expect(received).toContain("daily/&lt;!channel&gt; &lt;mailto:it@evil.example|click&gt; &amp; more.json");
    expect(received).not.toContain("<!channel>");
    expect(received).not.toContain("<mailto:");
  });
});
