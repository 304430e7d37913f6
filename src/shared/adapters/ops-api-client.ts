import type { TokenCredential } from "@azure/core-auth";
import { OpsError } from "../errors.ts";
import type { Incident, IncidentEvent } from "../incidents/model.ts";

/**
 * The app's own HTTP API, as the CLI calls it: with an Entra ID token for the API, obtained the way
 * any client in Azure gets one (DefaultAzureCredential: az login, managed identity, ...).
 */
export class OpsApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly credential: TokenCredential,
    private readonly scope: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.credential.getToken(this.scope).catch((error: unknown) => {
      throw new OpsError(
        "Unauthorized",
        `could not get a token for ${this.scope}: ${(error as Error).message.split("\n")[0]}`,
        { cause: error },
      );
    });
    if (!token) throw new OpsError("Unauthorized", `no token for ${this.scope}`);
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, "")}/api/${path}`, {
        method,
        headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new OpsError("AzureUnavailable", `could not reach ${this.baseUrl}: ${(error as Error).message}`, {
        cause: error,
        retryable: true,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        const problem = JSON.parse(text) as { detail?: string; title?: string };
        detail = problem.detail ?? problem.title ?? text;
      } catch {
        // not problem+json: keep the text
      }
      const code =
        response.status === 401
          ? "Unauthorized"
          : response.status === 403
            ? "Forbidden"
            : response.status === 404
              ? "NotFound"
              : response.status === 409
                ? "Conflict"
                : response.status === 400
                  ? "BadRequest"
                  : "AzureRequestFailed";
      throw new OpsError(code, `${method} /api/${path} answered ${response.status}: ${detail}`);
    }
    return JSON.parse(text) as T;
  }

  listIncidents(options: { status?: string; limit?: number }): Promise<{ incidents: Incident[] }> {
    const query = new URLSearchParams();
    if (options.status) query.set("status", options.status);
    if (options.limit) query.set("limit", String(options.limit));
    return this.call("GET", `incidents?${query.toString()}`);
  }

  getIncident(id: string): Promise<{ incident: Incident; history: IncidentEvent[] }> {
    return this.call("GET", `incidents/${encodeURIComponent(id)}`);
  }

  acknowledge(id: string, note?: string): Promise<Incident> {
    return this.call("POST", `incidents/${encodeURIComponent(id)}/acknowledge`, note ? { note } : {});
  }

  resolve(id: string, note?: string): Promise<Incident> {
    return this.call("POST", `incidents/${encodeURIComponent(id)}/resolve`, note ? { note } : {});
  }

  openIncident(request: {
    severity: string;
    title?: string;
    description?: string;
    environment?: string;
    notifyTeam: boolean;
  }): Promise<Incident> {
    return this.call("POST", "incidents", request);
  }
}
