/**
 * The Event Grid extension's webhook, `POST /runtime/webhooks/eventgrid?functionName=NAME`:
 * - `aeg-event-type: SubscriptionValidation` answers the handshake with `{"validationResponse": code}`;
 * - `aeg-event-type: Notification` invokes the function once per event, concurrently, for an Event
 *   Grid schema array, a CloudEvents batch array or a single CloudEvent; 202 when all succeed,
 *   otherwise 500 with the first failure's message, so that Event Grid redelivers;
 * - `OPTIONS` answers the CloudEvents abuse-protection handshake (`WebHook-Request-Origin`).
 * The real webhook requires the `eventgrid_extension` system key; `func start` does not check it,
 * and neither does this host.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IndexedFunction } from "./function-index.ts";
import { readBody, RequestTooLargeError, sendEmpty, sendJson } from "./http-util.ts";
import { errorMessage } from "./invoke.ts";
import type { HostRuntime } from "./runtime.ts";
import { jsonData, sysMetadata } from "./typed-data.ts";

export const EVENT_GRID_WEBHOOK_PATH = "/runtime/webhooks/eventgrid";

export async function handleEventGridWebhook(
  runtime: HostRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (req.method === "OPTIONS") {
    const origin = req.headers["webhook-request-origin"];
    res.writeHead(200, {
      ...(typeof origin === "string" ? { "webhook-allowed-origin": origin } : {}),
      "webhook-allowed-rate": "*",
      "content-length": 0,
    });
    res.end();
    return;
  }
  if (req.method !== "POST") {
    sendEmpty(res, 405);
    return;
  }
  const name = url.searchParams.get("functionName") ?? "";
  const fn = runtime.find(name);
  if (!fn || fn.kind !== "eventGrid" || fn.info.error || fn.info.disabled) {
    sendJson(res, 404, { error: `cannot find function: '${name}'` });
    return;
  }

  let events: unknown[];
  try {
    const parsed: unknown = JSON.parse((await readBody(req)).toString("utf8"));
    events = Array.isArray(parsed) ? parsed : [parsed];
  } catch (error) {
    sendJson(res, error instanceof RequestTooLargeError ? 413 : 400, {
      error: "The request body is not JSON",
    });
    return;
  }

  const eventType = String(req.headers["aeg-event-type"] ?? "");
  switch (eventType.toLowerCase()) {
    case "subscriptionvalidation": {
      const code = validationCode(events[0]);
      if (code === undefined) {
        sendJson(res, 400, { error: "No validationCode in the SubscriptionValidation event" });
        return;
      }
      runtime.logger.host("information", `Event Grid subscription validation for '${fn.info.name}' accepted`);
      sendJson(res, 200, { validationResponse: code });
      return;
    }
    case "notification":
      await deliver(runtime, fn, events, res);
      return;
    case "unsubscribe":
      sendEmpty(res, 202);
      return;
    default:
      sendJson(res, 400, { error: `Unsupported aeg-event-type '${eventType}'` });
  }
}

async function deliver(
  runtime: HostRuntime,
  fn: IndexedFunction,
  events: unknown[],
  res: ServerResponse,
): Promise<void> {
  const results = await Promise.allSettled(events.map((event) => runtime.execute(fn, eventInput(fn, event))));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) {
    const reason: unknown = failure.reason;
    const cause = reason instanceof Error && reason.cause !== undefined ? reason.cause : reason;
    const body = Buffer.from(errorMessage(cause), "utf8");
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": body.length });
    res.end(body);
    return;
  }
  sendEmpty(res, 202);
}

/** The invocation input for one event; also used for manual runs with an event as input. */
export function eventInput(fn: IndexedFunction, event: unknown) {
  const data =
    typeof event === "object" && event !== null ? (event as Record<string, unknown>)["data"] : undefined;
  return {
    inputData: [{ name: fn.triggerBindingName, data: jsonData(event) }],
    triggerMetadata: { data: jsonData(data ?? null), sys: sysMetadata(fn.info.name) },
    reason: "EventGrid trigger fired",
  };
}

function validationCode(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const data = (event as Record<string, unknown>)["data"];
  if (typeof data !== "object" || data === null) return undefined;
  const code = (data as Record<string, unknown>)["validationCode"];
  return typeof code === "string" ? code : undefined;
}
