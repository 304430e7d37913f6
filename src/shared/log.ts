/**
 * Structured logging: a fixed message and a metadata object. Secrets never reach a log: fields named
 * like credentials (exact names, any case) and values that look like credentials (JWTs, storage keys,
 * SAS signatures, bearer headers) are masked before anything is written. Matching exact names, not
 * substrings, keeps facts such as an alert `key` or a `signal` readable.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export type LogSink = (level: LogLevel, message: string, meta: Record<string, unknown>) => void;

const secretFields = new Set(
  [
    "secret",
    "clientSecret",
    "password",
    "token",
    "accessToken",
    "refreshToken",
    "idToken",
    "authorization",
    "cookie",
    "connectionString",
    "accountKey",
    "sharedKey",
    "apiKey",
    "sasToken",
    "sig",
    "signature",
    "credential",
    "credentials",
    "identityHeader",
    "x-identity-header",
    "x-functions-key",
    "AzureWebJobsStorage",
  ].map((k) => k.toLowerCase()),
);

const secretValues = [
  // A JWT: three base64url parts, the first a JSON header ("eyJ").
  /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/,
  /AccountKey=/i,
  /SharedAccessSignature=/i,
  /[?&]sig=/i,
  // A function key in a URL.
  /[?&]code=/i,
  /^Bearer\s/i,
];

export function isSecretField(name: string): boolean {
  return secretFields.has(name.toLowerCase());
}

export function looksSecret(value: string): boolean {
  return secretValues.some((pattern) => pattern.test(value));
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[…]";
  if (typeof value === "string") return looksSecret(value) ? "[redacted]" : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretField(k) && v !== null && v !== undefined ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

// On the global object: telemetry is a bundle of its own in the deployable app (scripts/build.ts).
const observerKey = Symbol.for("phoenix-ops.log-observer");
const observers = globalThis as { [observerKey]?: LogSink };

/**
 * Sees every entry of every logger after redaction: telemetry's custom metrics (src/shared/telemetry)
 * are counted from the app's own log events. One observer per process; `undefined` removes it.
 */
export function observeLogs(sink: LogSink | undefined): void {
  observers[observerKey] = sink;
}

/** A logger over a sink, with `base` facts (invocation id, function name) on every entry. */
export function createLogger(sink: LogSink, base: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, message: string, meta?: Record<string, unknown>): void => {
    const entry = { ...base, ...(meta ? (redact(meta) as Record<string, unknown>) : {}) };
    sink(level, message, entry);
    observers[observerKey]?.(level, message, entry);
  };
  return {
    debug: (m, meta) => write("debug", m, meta),
    info: (m, meta) => write("info", m, meta),
    warn: (m, meta) => write("warn", m, meta),
    error: (m, meta) => write("error", m, meta),
  };
}

/** One JSON line per entry on stderr, so that a command's stdout stays clean for its output. */
export const stderrSink: LogSink = (level, message, meta) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...meta })}\n`);
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
