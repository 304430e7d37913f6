/**
 * App settings and host configuration, read the way `func start` reads them: `local.settings.json`
 * beside host.json, the process environment over it, and host.json for the host's own knobs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const localSettingsSchema = z.looseObject({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  Host: z.looseObject({ LocalHttpPort: z.number().int().optional() }).optional(),
});

export interface LocalSettings {
  values: Record<string, string>;
  localHttpPort?: number;
}

/** Reads `local.settings.json` in `dir` if there is one. */
export function readLocalSettings(dir: string): LocalSettings {
  const path = join(dir, "local.settings.json");
  if (!existsSync(path)) return { values: {} };
  const parsed = localSettingsSchema.safeParse(parseJsonFile(path));
  if (!parsed.success) throw new Error(`${path} is not valid: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.IsEncrypted) {
    throw new Error(`${path} is encrypted; the local host reads plain settings only (func settings decrypt)`);
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data.Values ?? {})) values[key] = String(value);
  const port = parsed.data.Host?.LocalHttpPort;
  return port === undefined ? { values } : { values, localHttpPort: port };
}

/**
 * The app's settings: local.settings.json values, then the environment (func start never lets the
 * file override a variable that is already set), then settings passed by the caller, which win.
 */
export function mergeSettings(
  fileValues: Record<string, string>,
  env: NodeJS.ProcessEnv,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const merged: Record<string, string> = { ...fileValues };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return { ...merged, ...overrides };
}

/**
 * Resolves `%Name%` app-setting expressions, as the host does for schedules, queue names and other
 * binding properties. An unknown setting is an error, as it is when the real host indexes functions.
 */
export function resolveSettingExpressions(value: string, settings: Record<string, string>): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined) throw new Error(`App setting "${name}" (used as %${name}%) is not set`);
    return resolved;
  });
}

const timeSpanOrMs = z.union([z.string(), z.number()]);

const hostJsonSchema = z.looseObject({
  version: z.string().optional(),
  functionTimeout: z.string().nullable().optional(),
  logging: z.looseObject({ logLevel: z.record(z.string(), z.string()).optional() }).optional(),
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      queues: z
        .looseObject({
          maxPollingInterval: timeSpanOrMs.optional(),
          visibilityTimeout: timeSpanOrMs.optional(),
          batchSize: z.number().int().min(1).max(32).optional(),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxDequeueCount: z.number().int().min(1).optional(),
          messageEncoding: z.enum(["base64", "none"]).optional(),
        })
        .optional(),
    })
    .optional(),
});

export interface QueueHostOptions {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: "base64" | "none";
}

export interface HostConfig {
  routePrefix: string;
  /** `undefined` when host.json sets "-1" (no limit). */
  functionTimeoutMs: number | undefined;
  functionTimeoutText: string;
  logLevel: Record<string, string>;
  queues: QueueHostOptions;
}

/** The queue extension's own default is one minute; locally a short poll keeps the loop quick. */
export const LOCAL_DEFAULT_MAX_POLLING_MS = 2_000;
/** Flex Consumption's default function timeout. */
const DEFAULT_FUNCTION_TIMEOUT = "00:30:00";

/** Reads host.json in `appRoot`; a missing file means every default. */
export function readHostConfig(appRoot: string): HostConfig {
  const path = join(appRoot, "host.json");
  const raw = existsSync(path) ? parseJsonFile(path) : {};
  const parsed = hostJsonSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is not valid: ${z.prettifyError(parsed.error)}`);
  const json = parsed.data;
  const queues = json.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  const timeoutText = json.functionTimeout ?? DEFAULT_FUNCTION_TIMEOUT;
  return {
    // The prefix is trimmed of slashes, and an empty prefix puts routes at the root, as in the host.
    routePrefix: (json.extensions?.http?.routePrefix ?? "api").replace(/^\/+|\/+$/g, ""),
    functionTimeoutMs: timeoutText === "-1" ? undefined : parseTimeSpanMs(timeoutText, "functionTimeout"),
    functionTimeoutText: timeoutText,
    logLevel: json.logging?.logLevel ?? {},
    queues: {
      maxPollingIntervalMs: durationMs(
        queues.maxPollingInterval,
        "maxPollingInterval",
        LOCAL_DEFAULT_MAX_POLLING_MS,
      ),
      visibilityTimeoutMs: durationMs(queues.visibilityTimeout, "visibilityTimeout", 0),
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      messageEncoding: queues.messageEncoding ?? "base64",
    },
  };
}

function durationMs(value: string | number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  return typeof value === "number" ? value : parseTimeSpanMs(value, name);
}

/** Parses a .NET TimeSpan string (`[d.]hh:mm:ss[.fffffff]`) into milliseconds. */
export function parseTimeSpanMs(text: string, name = "TimeSpan"): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) throw new Error(`${name} "${text}" is not a TimeSpan like "00:05:00"`);
  const [, days = "0", hours = "0", minutes = "0", seconds = "0", fraction = ""] = match;
  const ms = Number(`0.${fraction || "0"}`) * 1000;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + ms;
}

function parseJsonFile(path: string): unknown {
  const text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
