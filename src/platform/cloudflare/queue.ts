import type { MessageQueue } from "../../core/ports";

export function cloudflareQueue<T>(queue: Queue<T>): MessageQueue<T> {
  return {
    async sendBatch(messages) {
      await queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
    },
  };
}
