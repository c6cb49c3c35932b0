/** Request bodies for the body-limit tests (runtime-neutral: Workers and contract suites). */

/** A JSON object body of exactly `size` bytes: `{"name":"xxx…"}`. */
export const jsonOfSize = (size: number) => `{"name":"${"x".repeat(size - 11)}"}`;

/** A body streamed in chunks, so the request carries no Content-Length. */
export function streamed(text: string, chunk = 8 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}
