// `deno test src/platform/deno/` (run by test/node/deno-unit.test.ts): which X-Forwarded-For
// entry is the client, whatever the client put in front of it.
import assert from "node:assert/strict";
import { clientAddressFrom } from "./client-ip";

Deno.test("one trusted proxy: the rightmost entry, never a forged leftmost one", () => {
  assert.equal(clientAddressFrom("203.0.113.7", 1), "203.0.113.7");
  assert.equal(clientAddressFrom("6.6.6.6, 203.0.113.7", 1), "203.0.113.7");
  assert.equal(clientAddressFrom("1.1.1.1,2.2.2.2 ,  203.0.113.7", 1), "203.0.113.7");
  assert.equal(clientAddressFrom("2001:db8::1", 1), "2001:db8::1");
});

Deno.test("two trusted proxies: the second entry from the right", () => {
  assert.equal(clientAddressFrom("6.6.6.6, 203.0.113.7, 10.0.0.2", 2), "203.0.113.7");
  assert.equal(clientAddressFrom("203.0.113.7, 10.0.0.2", 2), "203.0.113.7");
  // A request that reached the last proxy directly carries one entry: that proxy's view.
  assert.equal(clientAddressFrom("203.0.113.7", 2), "203.0.113.7");
});

Deno.test("an absent or empty header gives no address (the socket address is used)", () => {
  assert.equal(clientAddressFrom(null, 1), undefined);
  assert.equal(clientAddressFrom("", 1), undefined);
  assert.equal(clientAddressFrom(" , ", 1), undefined);
});
