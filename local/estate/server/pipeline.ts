import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EstateContext } from "../context.ts";
import type { FaultInjector, LatencyRules } from "../controls/faults.ts";
import type { StatsRecorder } from "../controls/stats.ts";
import type { ReadThrottle } from "../controls/throttle.ts";
import { azureError, BodyError } from "./replies.ts";
import type { EstateRequest, Reply, Router } from "./router.ts";
import { routeName } from "./router.ts";
import { sleep } from "./sleep.ts";

/**
 * One request's way through the estate, in the order Azure's front doors apply things:
 * route → count → latency → injected fault → authentication → read throttle → handler.
 */

export interface PipelineOptions {
  ctx: EstateContext;
  router: Router;
  latency: LatencyRules;
  faults: FaultInjector;
  stats: StatsRecorder;
  /** Undefined when throttling is off. */
  throttle: ReadThrottle | undefined;
  closing: AbortSignal;
}

/** Large enough for an email with attachments (ACS accepts up to 10 MB). */
const maxBodyBytes = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new BodyError(`the request body is larger than ${maxBodyBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function normalisePath(pathname: string): string {
  let path = pathname.replace(/\/{2,}/g, "/");
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape is matched as sent; no route will take it.
  }
  return path.length > 1 ? path.replace(/\/$/, "") : path;
}

function write(res: ServerResponse, reply: Reply, common: Record<string, string>): void {
  const payload = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
  const headers: Record<string, string | number> = { ...common, ...reply.headers };
  if (payload !== "" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["Content-Type"] =
      reply.text !== undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
  }
  headers["Content-Length"] = Buffer.byteLength(payload);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function unauthorized(ctx: EstateContext, description: string): Reply {
  return azureError(401, "InvalidAuthenticationToken", description, {
    "WWW-Authenticate": `Bearer authorization_uri="${ctx.url}/${ctx.tenantId}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
  });
}

function faultReply(status: 429 | 500 | 503, retryAfterSeconds: number): Reply {
  switch (status) {
    case 429:
      return azureError(429, "TooManyRequests", "The request is being throttled (injected fault).", {
        "Retry-After": String(retryAfterSeconds),
      });
    case 503:
      return azureError(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable (injected fault).",
        {
          "Retry-After": String(retryAfterSeconds),
        },
      );
    case 500:
      return azureError(
        500,
        "InternalServerError",
        "The server encountered an internal error (injected fault).",
      );
  }
}

export function createRequestHandler(
  options: PipelineOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { ctx, router, latency, faults, stats, throttle, closing } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    // A client that joins an endpoint ending in "/" with a path starting with one sends `//path`,
    // which URL would read as a host; Azure's front doors read it as a path.
    const url = new URL((req.url ?? "/").replace(/^\/{2,}/, "/"), ctx.url);
    const path = normalisePath(url.pathname);
    const requestId = randomUUID();
    const correlationHeader = req.headers["x-ms-correlation-request-id"];
    const common: Record<string, string> = {
      "x-ms-request-id": requestId,
      "x-ms-correlation-request-id": typeof correlationHeader === "string" ? correlationHeader : requestId,
      "Cache-Control": "no-cache",
    };
    const clientRequestId = req.headers["x-ms-client-request-id"];
    if (typeof clientRequestId === "string") common["x-ms-client-request-id"] = clientRequestId;

    const finish = (reply: Reply, name: string) => {
      write(res, reply, common);
      if (name !== "admin") {
        ctx.log(`${method} ${path} ${reply.status} ${name} ${Math.round(performance.now() - started)}ms`);
      }
    };

    const match = router.match(method, path);
    if (match.kind === "method-not-allowed") {
      stats.call("unmatched");
      return finish(
        azureError(405, "MethodNotAllowed", `The local estate does not serve ${method} ${path}.`, {
          Allow: [...new Set(match.allowed)].join(", "),
        }),
        "unmatched",
      );
    }
    if (match.kind === "not-found") {
      stats.call("unmatched");
      return finish(
        azureError(404, "NotFound", `The local estate does not serve ${method} ${path}.`),
        "unmatched",
      );
    }

    const { route, params } = match;
    const name = route.access === "admin" ? "admin" : routeName(route, params);
    let body: Promise<Buffer> | undefined;
    const request: EstateRequest = {
      method,
      path,
      url,
      query: new Map([...url.searchParams.entries()].map(([k, v]) => [k.toLowerCase(), v])),
      params,
      headers: req.headers,
      signal: closing,
      text: async () => {
        body ??= readBody(req);
        return (await body).toString("utf8");
      },
      json: async () => {
        body ??= readBody(req);
        const raw = (await body).toString("utf8");
        if (raw.trim() === "") return undefined;
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          throw new BodyError("the request body is not valid JSON");
        }
      },
    };

    if (route.access !== "admin") {
      stats.call(name, method, path);
      await sleep(latency.for(path), closing);
      const fault = faults.take(method, path);
      if (fault) {
        stats.fault();
        if (fault.status === "reset") {
          ctx.log(`${method} ${path} reset ${name} (injected)`);
          req.socket.destroy();
          return;
        }
        return finish(faultReply(fault.status, fault.retryAfterSeconds), name);
      }
    }

    if (route.access === "token") {
      const header = req.headers.authorization;
      const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
      if (!bearer) {
        return finish(
          unauthorized(ctx, "The request has no bearer token in its Authorization header."),
          name,
        );
      }
      const verified = await ctx.tokens.verify(bearer);
      if (!verified.ok) {
        return finish(unauthorized(ctx, `The access token is invalid: ${verified.reason}.`), name);
      }
      request.principal = verified.principal;
    }

    if (route.armRead && throttle) {
      const key = `${(params["subscriptionId"] ?? "-").toLowerCase()}|${request.principal?.objectId ?? "anonymous"}`;
      const decision = throttle.take(key);
      if (!decision.allowed) {
        stats.throttled();
        return finish(
          azureError(
            429,
            "TooManyRequests",
            "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits",
            {
              "Retry-After": String(decision.retryAfterSeconds),
              "x-ms-ratelimit-remaining-subscription-reads": "0",
            },
          ),
          name,
        );
      }
      common["x-ms-ratelimit-remaining-subscription-reads"] = String(decision.remaining);
    }

    let reply: Reply;
    try {
      reply = await route.handle(request);
    } catch (error) {
      if (error instanceof BodyError) {
        reply = azureError(400, "InvalidRequestContent", error.message);
      } else {
        ctx.log(
          `${method} ${path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        reply = azureError(500, "InternalServerError", "The local estate failed to handle the request.");
      }
    }
    if (closing.aborted || res.destroyed) return;
    finish(reply, name);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      ctx.log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}
