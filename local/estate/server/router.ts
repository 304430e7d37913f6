import type { IncomingHttpHeaders } from "node:http";
import type { Principal } from "../auth/tokens.ts";

/**
 * The route table. Each surface (Resource Manager, metrics, logs, email, ...) is a module returning
 * routes; the server tries them in order and runs the first whose method and path match.
 */

/**
 * - `token`: an Azure API; needs a bearer token issued by the estate. Counted, latency and faults apply.
 * - `open`: an Azure-facing endpoint without a token (managed identity, OIDC, site health probes).
 *   Counted, latency and faults apply.
 * - `admin`: the estate's own control API. Not counted, no latency, no faults.
 */
export type RouteAccess = "token" | "open" | "admin";

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
}

export interface EstateRequest {
  method: string;
  /** Decoded path with repeated slashes collapsed. */
  path: string;
  url: URL;
  /** Query parameters keyed by lower-cased name: Azure treats query names case-insensitively. */
  query: Map<string, string>;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Set for `token` routes once the bearer token has been verified. */
  principal?: Principal;
  /** The request body parsed as JSON (undefined when empty); rejects with a BodyError when malformed. */
  json(): Promise<unknown>;
  /** The request body as UTF-8 text, for form posts (the Entra token endpoint). */
  text(): Promise<string>;
  /** Aborted when the estate closes, so slow handlers stop. */
  signal: AbortSignal;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A template (`/subscriptions/{subscriptionId}/...`, `{rest+}` spans slashes) or a RegExp with named groups. */
  path: string | RegExp;
  access: RouteAccess;
  /** The name calls are counted under; a function when it depends on the path (generic ARM routes). */
  name: string | ((params: Record<string, string>) => string);
  /** Resource Manager reads: subject to the read throttle. */
  armRead?: boolean;
  handle(request: EstateRequest): Reply | Promise<Reply>;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Literal segments match case-insensitively, as Resource Manager paths do. */
function compileTemplate(template: string): RegExp {
  const source = template.replace(
    /\{(\w+)(\+?)\}|([^{]+)/g,
    (_, name: string, plus: string, literal: string) =>
      literal !== undefined ? escapeRegExp(literal) : plus ? `(?<${name}>.+?)` : `(?<${name}>[^/]+)`,
  );
  return new RegExp(`^${source}$`, "i");
}

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(routes: Route[]): void {
    for (const route of routes) {
      this.routes.push({
        route,
        pattern: typeof route.path === "string" ? compileTemplate(route.path) : route.path,
      });
    }
  }

  match(method: string, path: string): RouteMatch {
    const allowed: string[] = [];
    for (const { route, pattern } of this.routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(match.groups ?? {})) {
        if (value !== undefined) params[key] = value;
      }
      return { kind: "found", route, params };
    }
    return allowed.length ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
  }
}

export function routeName(route: Route, params: Record<string, string>): string {
  return typeof route.name === "string" ? route.name : route.name(params);
}
