import { describeError, type Logger } from "../log";

const ALERT_TIMEOUT_MS = 5_000;

export interface Alert {
  title: string;
  detail: string;
  fields?: Record<string, string | number | null>;
}

/**
 * Escapes the three characters Slack's mrkdwn gives a meaning to, as Slack asks
 * (https://api.slack.com/reference/surfaces/formatting#escaping). Alert texts carry S3 keys
 * and error messages that anyone able to upload a file controls; unescaped, `<!channel>`
 * would notify a whole channel and `<https://…|click>` would render a disguised link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Renders an alert as Slack-compatible JSON: `text` for any incoming webhook, blocks for Slack. */
export function slackPayload(alert: Alert, environment: string) {
  const facts = Object.entries(alert.fields ?? {}).map(([k, v]) => `*${escapeMrkdwn(k)}:* ${escapeMrkdwn(String(v ?? "–"))}`);
  const title = escapeMrkdwn(alert.title);
  const detail = escapeMrkdwn(alert.detail);
  const text = `:rotating_light: [game-db ${escapeMrkdwn(environment)}] ${title}\n${detail}${facts.length ? `\n${facts.join("\n")}` : ""}`;
  return {
    text,
    blocks: [
      // plain_text is shown verbatim by Slack: no escaping, or the entities would show.
      { type: "header", text: { type: "plain_text", text: `[${environment}] ${alert.title}`.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: detail.slice(0, 2900) } },
      ...(facts.length ? [{ type: "section", fields: facts.slice(0, 10).map((f) => ({ type: "mrkdwn", text: f.slice(0, 2000) })) }] : []),
    ],
  };
}

/**
 * Logs the alert at error level and posts it to the webhook when one is configured. Never
 * throws: a failing webhook is logged, not allowed to fail the ingestion step that alerted.
 */
export async function raiseAlert(
  alert: Alert,
  deps: { webhookUrl: string | undefined; environment: string; log: Logger; fetch?: typeof fetch },
): Promise<void> {
  deps.log.error("alert", { alert: alert.title, detail: alert.detail, ...alert.fields });
  if (!deps.webhookUrl) return;
  try {
    const response = await (deps.fetch ?? fetch)(deps.webhookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(slackPayload(alert, deps.environment)),
      signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
    });
    if (!response.ok) deps.log.error("alert webhook refused", { alert: alert.title, status: response.status });
    await response.body?.cancel();
  } catch (error) {
    deps.log.error("alert webhook failed", { alert: alert.title, error: describeError(error) });
  }
}
