import type { RpcLogLevel } from "./core-types.ts";

const levelOrder: Record<RpcLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

export function isRpcLogLevel(value: string): value is RpcLogLevel {
  return Object.hasOwn(levelOrder, value);
}

/**
 * Minimum levels per log category, as host.json `logging.logLevel` sets them (.NET names, any case).
 * A category matches its own key and every key that prefixes it at a dot, longest key first, the
 * way .NET logging filters do; `default` applies otherwise.
 */
export class LogLevelFilter {
  readonly #rules: { prefix: string; level: RpcLogLevel }[];
  readonly #fallback: RpcLogLevel;

  constructor(logLevel: Record<string, string> = {}) {
    let fallback: RpcLogLevel = "information";
    const rules: { prefix: string; level: RpcLogLevel }[] = [];
    for (const [key, raw] of Object.entries(logLevel)) {
      const level = raw.toLowerCase();
      if (!isRpcLogLevel(level)) continue;
      if (key.toLowerCase() === "default") fallback = level;
      else rules.push({ prefix: key.toLowerCase(), level });
    }
    rules.sort((a, b) => b.prefix.length - a.prefix.length);
    this.#rules = rules;
    this.#fallback = fallback;
  }

  enabled(category: string, level: RpcLogLevel): boolean {
    if (level === "none") return false;
    const lower = category.toLowerCase();
    const rule = this.#rules.find((r) => lower === r.prefix || lower.startsWith(`${r.prefix}.`));
    return levelOrder[level] >= levelOrder[rule?.level ?? this.#fallback];
  }
}

/** Where one formatted line goes: stdout by default, a callback in tests. */
export type LineSink = (line: string) => void;

/**
 * Formats the host's log lines, one record per line:
 * `[ISO time] [level] FunctionName (invocationId): message` for invocations and
 * `[ISO time] [level] message` for the host itself. Newlines inside a message (stack traces) are
 * escaped so that a reader can split the stream on line breaks.
 */
export class HostLogger {
  readonly #sink: LineSink;
  readonly #filter: LogLevelFilter;

  constructor(sink: LineSink, filter: LogLevelFilter) {
    this.#sink = sink;
    this.#filter = filter;
  }

  host(level: RpcLogLevel, message: string, category = "Host.General"): void {
    if (!this.#filter.enabled(category, level)) return;
    this.#sink(`[${new Date().toISOString()}] [${level}] ${oneLine(message)}`);
  }

  invocation(
    level: RpcLogLevel,
    functionName: string,
    invocationId: string,
    message: string,
    category = `Function.${functionName}`,
  ): void {
    if (!this.#filter.enabled(category, level)) return;
    this.#sink(
      `[${new Date().toISOString()}] [${level}] ${functionName} (${invocationId}): ${oneLine(message)}`,
    );
  }
}

function oneLine(message: string): string {
  return message.replace(/\r?\n/g, "\\n");
}

export function stdoutSink(line: string): void {
  process.stdout.write(`${line}\n`);
}
