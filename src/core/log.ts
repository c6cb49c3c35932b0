export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line on the console: Workers Logs and `wrangler tail` index the fields,
 * and any other runtime's log shipper can parse them. Callers pass identifiers and counts,
 * never secrets or raw driver errors (drizzle errors embed every bound parameter).
 */
export function createLogger(minLevel: LogLevel, base: LogFields = {}, now: () => Date = () => new Date()): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const line = JSON.stringify({ time: now().toISOString(), level, msg, ...base, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** A short, log-safe description of an error: its name and first line, never its cause chain. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]!.slice(0, 300)}`;
  return String(error).slice(0, 300);
}
