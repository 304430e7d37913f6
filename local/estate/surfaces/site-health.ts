import type { EstateContext } from "../context.ts";
import { healthFor } from "../scenarios.ts";
import { json } from "../server/replies.ts";
import type { Route } from "../server/router.ts";
import { sleep } from "../server/sleep.ts";
import { siteOrSlotByHost } from "./slot-swaps.ts";

/**
 * Each site's own health endpoint (what `https://{site}.azurewebsites.net/health` would be), served at
 * `/_sites/{site}/health` because loopback has no per-site host names. Unauthenticated, like the real
 * probe target; its status and delay follow the scenario.
 */
export function siteHealthRoutes(ctx: EstateContext): Route[] {
  return [
    {
      method: "GET",
      path: "/_sites/{siteName}/health",
      access: "open",
      name: "site-health",
      handle: async (request) => {
        // A slot answers on its own host, `{site}-{slot}`.
        const site = siteOrSlotByHost(ctx, request.params["siteName"] ?? "");
        if (!site) {
          return {
            status: 404,
            text: "404 Web Site not found.",
            headers: { "Content-Type": "text/plain; charset=utf-8" },
          };
        }
        if (site.resource.properties["state"] === "Stopped") {
          return {
            status: 403,
            text: "Error 403 - This web app is stopped.",
            headers: { "Content-Type": "text/plain; charset=utf-8" },
          };
        }
        const behaviour = healthFor(ctx.scenario(), site);
        await sleep(behaviour.delayMs, request.signal);
        const healthy = behaviour.status < 400;
        return json(
          {
            status: healthy ? "Healthy" : "Unhealthy",
            site: site.resource.name,
            checkedAt: new Date().toISOString(),
          },
          behaviour.status,
        );
      },
    },
  ];
}
