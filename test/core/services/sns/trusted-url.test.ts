// Which SigningCertURLs and SubscribeURLs may be fetched, under production's rules (the default
// host pattern, no http) and under the test configuration's (a loopback host, http allowed).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/core/config";
import { trustedSnsUrl } from "../../../../src/core/services/sns/trusted-url";

const vars = {
  ADMIN_API_KEY: "admin-secret-0123456789abcdefghijklmnopq",
  RATE_LIMIT_KEY_LIMIT: "1200",
  RATE_LIMIT_ANON_LIMIT: "120",
  RATE_LIMIT_PERIOD_SECONDS: "60",
  S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com",
  S3_REGION: "eu-west-1",
  S3_BUCKET: "game-db-rankings",
  S3_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  S3_SECRET_ACCESS_KEY: "s3-secret",
};
const production = parseConfig({ ...vars, ENVIRONMENT: "production" }).sns;
const test = parseConfig({ ...vars, ENVIRONMENT: "test", SNS_CERT_HOST_PATTERN: "127\\.0\\.0\\.1:4567" }).sns;

const verdict = (url: string, rules = production) => {
  const result = trustedSnsUrl(url, rules);
  return result instanceof URL ? "trusted" : result.untrusted;
};

describe("trustedSnsUrl under production's rules", () => {
  it.each([
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
    "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:123456789012:rankings&Token=2336412f37",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-3242f5be8b8f9c0e8f5c5a8a1b2c3d4e.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
    "https://SNS.US-EAST-1.AMAZONAWS.COM/cert.pem",
    "https://sns.us-east-1.amazonaws.com:443/cert.pem",
  ])("trusts %s", (url) => {
    expect(verdict(url)).toBe("trusted");
  });

  it.each([
    ["http://sns.us-east-1.amazonaws.com/cert.pem", "is not an https URL"],
    ["https://sns.us-east-1.amazonaws.com.evil.test/cert.pem", "is on sns.us-east-1.amazonaws.com.evil.test, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://sns.us-east-1.amazonaws.com.cn.evil.test/cert.pem", "is on sns.us-east-1.amazonaws.com.cn.evil.test, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://evilsns.us-east-1.amazonaws.com/cert.pem", "is on evilsns.us-east-1.amazonaws.com, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://sns.us-east-1.evil.amazonaws.com/cert.pem", "is on sns.us-east-1.evil.amazonaws.com, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://s3.us-east-1.amazonaws.com/sns.us-east-1.amazonaws.com/cert.pem", "is on s3.us-east-1.amazonaws.com, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://sns.us-east-1.amazonaws.com:8443/cert.pem", "is on sns.us-east-1.amazonaws.com:8443, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://sns.us-east-1.amazonaws.com@evil.test/cert.pem", "carries credentials"],
    ["http://127.0.0.1:4567/cert.pem", "is not an https URL"],
    ["sns.us-east-1.amazonaws.com/cert.pem", "is not a URL"],
    ["file:///etc/passwd", "is not an https URL"],
  ])("refuses %s: %s", (url, reason) => {
    expect(verdict(url)).toBe(reason);
  });
});

describe("trustedSnsUrl under the test configuration's rules (SNS_CERT_HOST_PATTERN, development and test only)", () => {
  it("trusts the loopback host it names, over http", () => {
    expect(verdict("http://127.0.0.1:4567/__harness/pages/cert.pem", test)).toBe("trusted");
  });

  it.each([
    ["http://127.0.0.1:4568/cert.pem", "is on 127.0.0.1:4568, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["https://sns.us-east-1.amazonaws.com/cert.pem", "is on sns.us-east-1.amazonaws.com, not an Amazon SNS host (sns.<region>.amazonaws.com)"],
    ["http://sns.us-east-1.amazonaws.com/cert.pem", "is not an https URL"],
  ])("refuses %s: %s", (url, reason) => {
    expect(verdict(url, test)).toBe(reason);
  });
});
