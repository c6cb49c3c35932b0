import type { Logger, LogFields } from "../../src/core/log";

/** A Logger that keeps its lines for assertions instead of printing them. */
export function recordingLogger() {
  const lines: ({ level: string; msg: string } & LogFields)[] = [];
  const at = (level: string) => (msg: string, fields: LogFields = {}) => void lines.push({ level, msg, ...fields });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { log, lines };
}
