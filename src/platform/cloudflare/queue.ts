import type { MessageQueue } from "../../core/ports";

/** A Cloudflare Queues producer binding as the core's MessageQueue (JSON bodies). */
export function createMessageQueue<T>(queue: Queue<T>): MessageQueue<T> {
  return {
    async sendBatch(messages) {
      await queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
    },
  };
}
