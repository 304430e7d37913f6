import { randomUUID } from "node:crypto";
import { azureError, json } from "./replies.ts";
import type { EstateRequest, Reply, Route } from "./router.ts";

/**
 * Long-running operations as Resource Manager runs them: a write answers 202 with
 * `Azure-AsyncOperation` (a status resource that moves from InProgress to Succeeded or Failed),
 * `Location` (202 while running, then the operation's result) and `Retry-After`; the change is
 * applied when the operation completes, so a GET of the resource shows it only then. Every write
 * surface of the estate answers through this, so the SDKs' pollers and az's run as against Azure.
 */

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

/** Thrown by an operation's `apply` to make it fail with Azure's error body. */
export class OperationFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** What the Location URL answers for the failed operation. */
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface OperationSpec {
  subscriptionId: string;
  /** The provider that runs it, e.g. `Microsoft.Web`: the status URLs live under it. */
  namespace: string;
  /** Short region name, e.g. `westeurope`. */
  location: string;
  /** How long the operation stays InProgress; the estate's default when omitted. */
  durationMs?: number;
  /** Makes the change; runs once, when the operation completes. May throw an OperationFailure. */
  apply: () => void | Promise<void>;
  /** The body the Location URL answers once Succeeded (e.g. the updated resource); 204 without one. */
  result?: () => unknown;
}

interface OperationRecord {
  id: string;
  spec: OperationSpec;
  status: OperationStatus;
  startTime: Date;
  endTime?: Date;
  error?: OperationFailure;
}

const statusPath =
  /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/(?<namespace>[^/]+)\/locations\/(?<location>[^/]+)\/(?<kind>operations|operationResults)\/(?<operationId>[^/]+)$/i;

export class LongRunningOperations {
  private readonly operations = new Map<string, OperationRecord>();

  constructor(
    private readonly estateUrl: string,
    private readonly defaultDurationMs = 1000,
    /** Seconds a client is told to wait between polls. */
    private readonly retryAfterSeconds = 1,
  ) {}

  /** Starts an operation and answers the write: 202 with the headers Azure sends. */
  start(spec: OperationSpec, request: Pick<EstateRequest, "query">): Reply {
    const id = randomUUID();
    const record: OperationRecord = { id, spec, status: "InProgress", startTime: new Date() };
    this.operations.set(id, record);
    const timer = setTimeout(() => void this.complete(record), spec.durationMs ?? this.defaultDurationMs);
    // A pending operation must not keep the estate's process alive.
    timer.unref();
    const apiVersion = encodeURIComponent(request.query.get("api-version") ?? "");
    return {
      status: 202,
      headers: {
        "Azure-AsyncOperation": `${this.urlOf(record, "operations")}?api-version=${apiVersion}`,
        Location: `${this.urlOf(record, "operationResults")}?api-version=${apiVersion}`,
        "Retry-After": String(this.retryAfterSeconds),
      },
    };
  }

  /** The status of an operation, for tests and for surfaces that wait on one. */
  status(id: string): OperationStatus | undefined {
    return this.operations.get(id)?.status;
  }

  /** The routes of the status resources; mounted before the Resource Manager routes. */
  routes(): Route[] {
    return [
      {
        method: "GET",
        path: statusPath,
        access: "token",
        name: (params) =>
          params["kind"]?.toLowerCase() === "operations" ? "arm.operation-status" : "arm.operation-result",
        handle: (request) => this.answer(request),
      },
    ];
  }

  private urlOf(record: OperationRecord, kind: "operations" | "operationResults"): string {
    const { subscriptionId, namespace, location } = record.spec;
    return `${this.estateUrl}/subscriptions/${subscriptionId}/providers/${namespace}/locations/${location}/${kind}/${record.id}`;
  }

  private async complete(record: OperationRecord): Promise<void> {
    if (record.status !== "InProgress") return;
    try {
      await record.spec.apply();
      record.status = "Succeeded";
    } catch (error) {
      record.status = "Failed";
      record.error =
        error instanceof OperationFailure
          ? error
          : new OperationFailure(
              "InternalServerError",
              error instanceof Error ? error.message : "The operation failed.",
              500,
            );
    }
    record.endTime = new Date();
  }

  private answer(request: EstateRequest): Reply {
    const {
      subscriptionId = "",
      namespace = "",
      location = "",
      kind = "",
      operationId = "",
    } = request.params;
    const record = this.operations.get(operationId.toLowerCase());
    const matches =
      record &&
      record.spec.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
      record.spec.namespace.toLowerCase() === namespace.toLowerCase() &&
      record.spec.location.toLowerCase() === location.toLowerCase();
    if (!record || !matches) {
      return azureError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
    }
    if (kind.toLowerCase() === "operations") {
      // While it runs, the status resource says when to ask again, as Resource Manager's do; clients
      // (az's poller among them) otherwise fall back to their own interval, 30 s for az.
      const retry =
        record.status === "InProgress" ? { "Retry-After": String(this.retryAfterSeconds) } : undefined;
      return json(
        {
          id: this.urlOf(record, "operations").slice(this.estateUrl.length),
          name: record.id,
          status: record.status,
          startTime: record.startTime.toISOString(),
          ...(record.endTime ? { endTime: record.endTime.toISOString() } : {}),
          ...(record.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
        },
        200,
        retry,
      );
    }
    switch (record.status) {
      case "InProgress":
        return {
          status: 202,
          headers: {
            Location: `${this.urlOf(record, "operationResults")}?api-version=${encodeURIComponent(request.query.get("api-version") ?? "")}`,
            "Retry-After": String(this.retryAfterSeconds),
          },
        };
      case "Succeeded": {
        const result = record.spec.result?.();
        return result === undefined ? { status: 204 } : json(result);
      }
      default:
        return azureError(
          record.error?.status ?? 500,
          record.error?.code ?? "OperationFailed",
          record.error?.message ?? "The operation failed.",
        );
    }
  }
}
