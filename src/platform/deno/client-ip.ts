/**
 * The client address behind trusted reverse proxies. Each proxy appends the address it was
 * connected from to a list header such as X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`),
 * after whatever the client itself sent — so only the entries the trusted proxies added can be
 * believed, and they are at the right end. With `trustedProxies` proxies in front of the server,
 * the client is the entry that many places from the right; anything left of it is the client's
 * own (possibly forged) text. A single-valued header (X-Real-IP, set by the one proxy) is the
 * case of one entry.
 */
export function clientAddressFrom(headerValue: string | null, trustedProxies: number): string | undefined {
  if (!headerValue) return undefined;
  const hops = headerValue
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop !== "");
  // Fewer entries than proxies: the request skipped a proxy; the leftmost is the closest to
  // the client that any proxy reported.
  return hops[Math.max(0, hops.length - trustedProxies)];
}
