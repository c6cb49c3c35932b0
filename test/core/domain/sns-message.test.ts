// The rules on an SNS message that need no network: its schema, the string its signature
// covers (AWS's fields in AWS's order), and the replay window.
import { describe, expect, it } from "vitest";
import { SNS_MAX_CLOCK_SKEW_SECONDS, SNS_MAX_MESSAGE_AGE_SECONDS, SnsMessageSchema, stringToSign, timestampProblem } from "../../../src/core/domain/sns-message";

const signed = {
  MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
  Timestamp: "2012-05-02T00:54:06.655Z",
  SignatureVersion: "1",
  Signature: "RVhBTVBMRSBzaWduYXR1cmU+Pz8/",
  SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
};

describe("stringToSign", () => {
  it("a Notification with a Subject: Message, MessageId, Subject, Timestamp, TopicArn, Type, each as Name\\nValue\\n", () => {
    const message = SnsMessageSchema.parse({ ...signed, Type: "Notification", Subject: "My First Message", Message: "Hello world!\nTwo lines", UnsubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe" });
    expect(stringToSign(message)).toBe(
      "Message\nHello world!\nTwo lines\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n" +
        "Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n",
    );
  });

  it.each([["absent", {}], ["null", { Subject: null }]])("a Notification whose Subject is %s signs no Subject line", (_what, subject) => {
    const message = SnsMessageSchema.parse({ ...signed, Type: "Notification", Message: "{}", ...subject });
    expect(stringToSign(message)).toBe(
      "Message\n{}\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n",
    );
  });

  it.each(["SubscriptionConfirmation", "UnsubscribeConfirmation"])("a %s: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type", (type) => {
    const message = SnsMessageSchema.parse({ ...signed, Type: type, Message: "You have chosen to subscribe", Token: "2336412f37", SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription" });
    expect(stringToSign(message)).toBe(
      "Message\nYou have chosen to subscribe\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription\n" +
        `Timestamp\n2012-05-02T00:54:06.655Z\nToken\n2336412f37\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\n${type}\n`,
    );
  });
});

describe("SnsMessageSchema", () => {
  it.each([
    ["an unknown SignatureVersion", { SignatureVersion: "3" }],
    ["a Timestamp that is not ISO-8601 UTC", { Timestamp: "Wed, 02 May 2012 00:54:06 GMT" }],
    ["a Signature that is not base64", { Signature: "not base64!" }],
    ["no MessageId", { MessageId: undefined }],
  ])("refuses %s", (_what, change) => {
    expect(SnsMessageSchema.safeParse({ ...signed, Type: "Notification", Message: "{}", ...change }).success).toBe(false);
  });

  it("refuses a confirmation without its Token or SubscribeURL, and keeps fields it does not know", () => {
    expect(SnsMessageSchema.safeParse({ ...signed, Type: "SubscriptionConfirmation", Message: "m", SubscribeURL: "https://x" }).success).toBe(false);
    expect(SnsMessageSchema.parse({ ...signed, Type: "Notification", Message: "{}", MessageAttributes: { a: 1 } })).toHaveProperty("MessageAttributes");
  });
});

describe("timestampProblem: the replay window", () => {
  const published = new Date("2026-12-04T10:00:00.000Z");
  const at = (seconds: number) => new Date(published.getTime() + seconds * 1000);

  it("accepts a message up to 65 minutes old (SNS retries for at most an hour) and up to 5 minutes ahead", () => {
    expect(SNS_MAX_MESSAGE_AGE_SECONDS).toBe(3900);
    expect(SNS_MAX_CLOCK_SKEW_SECONDS).toBe(300);
    for (const seconds of [0, 3600, 3900, -300]) expect(timestampProblem({ Timestamp: published.toISOString() }, at(seconds)), String(seconds)).toBeUndefined();
  });

  it("refuses one a second older, or further ahead", () => {
    expect(timestampProblem({ Timestamp: published.toISOString() }, at(3901))).toMatch(/more than 65 minutes ago/);
    expect(timestampProblem({ Timestamp: published.toISOString() }, at(-301))).toMatch(/more than 5 minutes in the future/);
  });
});
