import { describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../../src/core/ingest/backoff";

const middle = () => 0.5; // no jitter: ×1.0
const lowest = () => 0; // ×0.8
const highest = () => 0.999_999; // ×1.2

describe("retryDelaySeconds", () => {
  it("doubles from the base with each attempt (1-based)", () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelaySeconds(a, 30, 3_600, middle))).toEqual([30, 60, 120, 240, 480, 960]);
    expect([1, 2, 3].map((a) => retryDelaySeconds(a, 1, 60, middle))).toEqual([1, 2, 4]);
  });

  it("is capped at the maximum, jitter included", () => {
    expect(retryDelaySeconds(8, 30, 3_600, middle)).toBe(3_600);
    expect(retryDelaySeconds(50, 30, 3_600, highest)).toBe(3_600);
    expect(retryDelaySeconds(1_000, 2, 43_200, highest)).toBe(43_200);
    expect(retryDelaySeconds(3, 1, 2, middle)).toBe(2);
  });

  it("jitters by ±20 %", () => {
    expect(retryDelaySeconds(3, 100, 10_000, lowest)).toBe(320);
    expect(retryDelaySeconds(3, 100, 10_000, highest)).toBe(480);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const delay = retryDelaySeconds(4, 10, 10_000);
      expect(delay).toBeGreaterThanOrEqual(64);
      expect(delay).toBeLessThanOrEqual(96);
      seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it("never asks for less than 1 second, even for attempt 0 or a negative attempt", () => {
    expect(retryDelaySeconds(1, 1, 60, lowest)).toBe(1);
    expect(retryDelaySeconds(0, 1, 60, middle)).toBe(1);
    expect(retryDelaySeconds(-3, 5, 60, middle)).toBe(5);
  });

  it("grows strictly from attempt to attempt below the cap, whatever the jitter", () => {
    for (let i = 0; i < 200; i++) {
      const delays = [1, 2, 3, 4, 5].map((a) => retryDelaySeconds(a, 2, 10_000));
      for (let a = 1; a < delays.length; a++) expect(delays[a]).toBeGreaterThan(delays[a - 1]!);
    }
  });

  it("stays within the queue's 12 h delay limit for any attempt", () => {
    expect(retryDelaySeconds(10_000, 30, 43_200)).toBeLessThanOrEqual(43_200);
    expect(Number.isInteger(retryDelaySeconds(7, 3, 43_200))).toBe(true);
  });
});
