import type { PipelinePolicy } from "@azure/core-rest-pipeline";

export interface RetryPolicySettings {
  timeoutInMs: number;
  maxRetries: number;
}

/**
 * Retries: the SDK pipeline retries 429 and 503 honouring Retry-After, and transient network errors with
 * exponential back-off. Each try has a timeout, so a call that keeps failing ends in an error, not a hang.
 */
export function pipelineOptions(
  policy: RetryPolicySettings,
  delays = { retryDelayInMs: 400, maxRetryDelayInMs: 10_000 },
): {
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { policy: PipelinePolicy; position: "perRetry" }[];
} {
  const timeoutPolicy: PipelinePolicy = {
    name: "phoenixTryTimeout",
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = policy.timeoutInMs;
      return next(request);
    },
  };
  return {
    retryOptions: { maxRetries: policy.maxRetries, ...delays },
    additionalPolicies: [{ policy: timeoutPolicy, position: "perRetry" }],
  };
}
