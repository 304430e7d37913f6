/**
 * The app's small error taxonomy. Every error the app raises on purpose is an OpsError with a stable
 * `code`; `retryable` says whether trying the same thing again may succeed.
 */
export type OpsErrorCode =
  | "ConfigInvalid"
  | "SettingsInvalid"
  | "BadRequest"
  | "NotFound"
  | "Conflict"
  | "Unauthorized"
  | "Forbidden"
  | "PayloadTooLarge"
  | "UnsupportedMediaType"
  | "Throttled"
  | "AzureUnavailable"
  | "AzureRequestFailed"
  | "Timeout"
  | "EmailFailed"
  | "StoreFailed"
  | "Internal";

export interface OpsErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Facts safe to log and show: resource ids, status codes. Never a secret. */
  details?: Record<string, unknown>;
}

export class OpsError extends Error {
  readonly code: OpsErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: OpsErrorCode, message: string, options: OpsErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "OpsError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isOpsError(error: unknown): error is OpsError {
  return error instanceof OpsError;
}

/** A short, safe description of any thrown value, for logs and reasons. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Classifies a failure from an Azure SDK call (RestError and friends carry `statusCode` and `code`)
 * into the taxonomy, naming the resource the call was about.
 */
export function fromAzureError(error: unknown, resource: string): OpsError {
  if (error instanceof OpsError) return error;
  const status = statusCodeOf(error);
  const azureCode = azureCodeOf(error);
  const details = { resource, statusCode: status, azureCode };
  const reason = error instanceof Error ? error.message : String(error);
  if (status === 404) {
    return new OpsError("NotFound", `${resource} was not found (${azureCode ?? "404"})`, {
      cause: error,
      details,
    });
  }
  if (status === 401 || status === 403) {
    return new OpsError("Forbidden", `access to ${resource} was refused (${status})`, {
      cause: error,
      details,
    });
  }
  if (status === 429) {
    return new OpsError("Throttled", `Azure kept throttling requests for ${resource}`, {
      cause: error,
      retryable: true,
      details,
    });
  }
  if (status !== undefined && status >= 500) {
    return new OpsError("AzureUnavailable", `Azure answered ${status} for ${resource}`, {
      cause: error,
      retryable: true,
      details,
    });
  }
  if (status === undefined) {
    return new OpsError("AzureUnavailable", `could not reach Azure for ${resource}: ${firstLine(reason)}`, {
      cause: error,
      retryable: true,
      details,
    });
  }
  return new OpsError(
    "AzureRequestFailed",
    `Azure refused the request for ${resource}: ${firstLine(reason)}`,
    {
      cause: error,
      details,
    },
  );
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "statusCode" in error) {
    const value = error.statusCode;
    return typeof value === "number" ? value : undefined;
  }
  return undefined;
}

function azureCodeOf(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const value = error.code;
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
