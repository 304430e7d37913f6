/**
 * Structured logging: a fixed message and a metadata object, one JSON line per event. Secrets never
 * reach a log: keys that look like credentials are masked before anything is written.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export type LogSink = (level: LogLevel, line: string) => void;

const secretKey = /(secret|password|token|key|signature|sig|connectionstring|authorization|credential)/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[…]";
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = secretKey.test(k) && typeof v === "string" ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(sink: LogSink, base: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, message: string, meta?: Record<string, unknown>): void => {
    const record = {
      time: new Date().toISOString(),
      level,
      message,
      ...base,
      ...(meta ? (redact(meta) as object) : {}),
    };
    sink(level, JSON.stringify(record));
  };
  return {
    debug: (m, meta) => write("debug", m, meta),
    info: (m, meta) => write("info", m, meta),
    warn: (m, meta) => write("warn", m, meta),
    error: (m, meta) => write("error", m, meta),
  };
}

/** Writes to stderr so that a command's stdout stays clean for its output (tables, JSON). */
export const stderrSink: LogSink = (_level, line) => {
  process.stderr.write(`${line}\n`);
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
