import { RestError } from "@azure/core-rest-pipeline";
import { OpsError } from "../errors.ts";

/** A storage failure in the taxonomy: throttling, 5xx and no answer at all may succeed when retried. */
export function storeError(message: string, error: unknown): OpsError {
  const status = error instanceof RestError ? error.statusCode : undefined;
  return new OpsError("StoreFailed", `${message}${status ? ` (storage answered ${status})` : ""}`, {
    cause: error,
    retryable: status === undefined || status >= 500 || status === 429,
  });
}
