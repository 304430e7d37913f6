import { z } from "zod";

/**
 * App settings (app settings in Azure, local.settings.json `Values` locally, or the environment for
 * the CLI). Endpoints are settings, as for a sovereign cloud; the defaults are Azure public cloud.
 */
const url = z.url({ protocol: /^https?$/ });

/** A whole number written plainly: `1e2` and `0x10` are not numbers a person means in a setting. */
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const settingsSchema = z.object({
  /** "managed-identity" in Azure (user-assigned when AZURE_CLIENT_ID is set); "default" for a laptop (az login). */
  PHOENIX_CREDENTIAL: z.enum(["managed-identity", "default"]).default("managed-identity"),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  PHOENIX_POLICY_PATH: z.string().min(1).default("config/ops-policy.json"),
  PHOENIX_ARM_ENDPOINT: url.default("https://management.azure.com"),
  PHOENIX_ARM_AUDIENCE: url.default("https://management.azure.com"),
  /** Regional metrics data-plane endpoint; when unset it is derived from each environment's region. */
  PHOENIX_METRICS_ENDPOINT: url.optional(),
  PHOENIX_METRICS_AUDIENCE: url.default("https://metrics.monitor.azure.com"),
  PHOENIX_LOGS_ENDPOINT: url.default("https://api.loganalytics.io"),
  PHOENIX_LOGS_AUDIENCE: url.default("https://api.loganalytics.io"),
  PHOENIX_EMAIL_ENDPOINT: url.optional(),
  PHOENIX_EMAIL_SENDER: z.email().optional(),
  /** Storage: a connection string (Azurite locally) or identity-based settings, as the Functions host takes them. */
  AzureWebJobsStorage: z.string().min(1).optional(),
  AzureWebJobsStorage__accountName: z.string().min(3).optional(),
  AzureWebJobsStorage__tableServiceUri: url.optional(),
  AzureWebJobsStorage__queueServiceUri: url.optional(),
  AzureWebJobsStorage__blobServiceUri: url.optional(),
  PHOENIX_STATE_TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, "letters and digits only, starting with a letter")
    .default("phoenix"),
  /** Per-call timeout for Azure requests, after which the call fails with an error naming the resource. */
  PHOENIX_AZURE_TIMEOUT_MS: integer(100, 300_000).default(30_000),
  PHOENIX_AZURE_MAX_RETRIES: integer(0, 10).default(4),
  /**
   * Per-try timeout and retries of storage calls (state, queues, blobs), on the client side: a storage
   * account that does not answer ends in an error, never a hang.
   */
  PHOENIX_STORAGE_TIMEOUT_MS: integer(100, 120_000).default(30_000),
  PHOENIX_STORAGE_MAX_RETRIES: integer(0, 10).default(2),
  /**
   * The alert webhook's own bound on its durable write: past it the caller gets a 503 with Retry-After
   * (an action group waits about 10 s, then retries), however slow storage is.
   */
  PHOENIX_ALERTS_WRITE_DEADLINE_MS: integer(100, 60_000).default(5000),
  PHOENIX_HTTP_MAX_BODY_BYTES: integer(1024, 10_000_000).default(262_144),
  /** Action group payloads (log alerts with search results) can be large. */
  PHOENIX_ALERTS_MAX_BODY_BYTES: integer(1024, 10_000_000).default(1_048_576),
  /**
   * How long the webhook gathers concurrent deliveries into one queue message (0: the next turn of the
   * event loop). Twenty milliseconds is nothing next to an action group's patience and, in a storm of a
   * few hundred alerts a second, puts several alerts in each message.
   */
  PHOENIX_ALERTS_BATCH_WINDOW_MS: integer(0, 1000).default(20),
  /** Base URL for links in emails; in Azure it defaults to https://$WEBSITE_HOSTNAME. */
  PHOENIX_PUBLIC_BASE_URL: url.optional(),
  WEBSITE_HOSTNAME: z.string().min(1).optional(),
  /** Entra ID tenant whose tokens the operator endpoints accept; they refuse everyone until it is set. */
  PHOENIX_AUTH_TENANT_ID: z.uuid().optional(),
  PHOENIX_AUTH_AUTHORITY_HOST: url.default("https://login.microsoftonline.com"),
  /** The app registration's Application ID URI and client id, comma-separated. */
  PHOENIX_AUTH_AUDIENCES: z
    .string()
    .default("api://phoenix-ops")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  /** Require the action group's secure-webhook token on /api/alerts (on top of the function key). */
  PHOENIX_ALERTS_REQUIRE_TOKEN: z.stringbool().default(false),
  PHOENIX_ALERTS_TOKEN_ROLE: z.string().min(1).optional(),
  /**
   * Telemetry (src/shared/telemetry/mode.ts, read at load before these settings are): "azure-monitor"
   * in Azure (infra/ sets it), "otlp" for a collector; off when unset unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
   */
  PHOENIX_TELEMETRY: z.enum(["off", "azure-monitor", "otlp"]).optional(),
  /** Application Insights' connection string (no key: the resource has local auth disabled). */
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
});

export type Settings = z.infer<typeof settingsSchema>;

const serviceUriKeys = [
  "AzureWebJobsStorage__blobServiceUri",
  "AzureWebJobsStorage__queueServiceUri",
  "AzureWebJobsStorage__tableServiceUri",
] as const;

/**
 * Checked apart from the schema so that it is reported together with every other bad setting. The app
 * uses blobs, queues and tables: without a connection string or an account name, each service's URI
 * must be given, or its address cannot be known.
 */
export function storageSettingIssue(raw: Record<string, string>): string | undefined {
  if (raw.AzureWebJobsStorage !== undefined || raw.AzureWebJobsStorage__accountName !== undefined)
    return undefined;
  const missing = serviceUriKeys.filter((key) => raw[key] === undefined);
  if (missing.length === 0) return undefined;
  if (missing.length < serviceUriKeys.length) {
    return `identity-based storage needs AzureWebJobsStorage__accountName or every service URI; missing ${missing.join(", ")}`;
  }
  return "set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (identity-based)";
}

const settingKeys = new Set<string>(Object.keys(settingsSchema.shape));

/** Only the keys the schema knows are read, so nothing else from the environment is carried around. */
export function pickSettings(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "" && settingKeys.has(key)) picked[key] = value;
  }
  return picked;
}
