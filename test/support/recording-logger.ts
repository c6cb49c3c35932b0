import type { Logger, LogFields, LogLevel } from "../../src/core/log";

export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields: LogFields;
}

/** A Logger that keeps what it is told, for assertions on what the code logged. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogLevel) => (msg: string, fields: LogFields = {}) => void entries.push({ level, msg, fields });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
