import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Estate } from "../../local/estate/index.ts";
import { parseInstant } from "../../local/estate/signals/time.ts";
import { demo, demoIds } from "../../local/estate/index.ts";
import { at, call, rawToken, startTestEstate } from "./helpers.ts";

/**
 * What the Azure CLI needs of the estate beyond what the SDKs use: the older managed-identity
 * contracts, metadata discovery, Metrics_List as az encodes it, the Web provider's site config, and
 * Azure's errors for what is not served.
 */

describe("the estate as az calls it", () => {
  let estate: Estate;
  let close: () => Promise<void>;
  let token: string;

  beforeAll(async () => {
    ({ estate, close } = await startTestEstate());
    token = await rawToken(estate);
  });
  afterAll(() => close());

  describe("managed identity", () => {
    it("serves App Service's 2017-09-01 contract with the secret header, expires_on as a date", async () => {
      const response = await fetch(
        `${estate.identityEndpoint}/?resource=https://management.core.windows.net/&api-version=2017-09-01`,
        { headers: { secret: estate.identityHeader } },
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, string>;
      expect(body["token_type"]).toBe("Bearer");
      expect(body["resource"]).toBe("https://management.core.windows.net/");
      expect(body["expires_on"]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \+00:00$/);
      const claims = decodeJwt(body["access_token"] ?? "");
      expect(claims.aud).toBe("https://management.core.windows.net/");
      const list = await call(estate, "GET", "/subscriptions?api-version=2022-12-01", {
        token: body["access_token"] ?? "",
      });
      expect(list.status).toBe(200);
    });

    it("refuses the 2017-09-01 contract without the secret, and X-IDENTITY-HEADER in its place", async () => {
      const url = `${estate.identityEndpoint}?resource=https://management.azure.com/&api-version=2017-09-01`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { "X-IDENTITY-HEADER": estate.identityHeader } })).status).toBe(
        401,
      );
      const unknownVersion = await fetch(
        `${estate.identityEndpoint}?resource=https://management.azure.com/&api-version=2018-02-01`,
        { headers: { secret: estate.identityHeader } },
      );
      expect(unknownVersion.status).toBe(400);
    });

    it("serves the MSI form POST with Metadata: true, and an audience per resource", async () => {
      for (const resource of ["https://management.core.windows.net/", "https://vault.azure.net"]) {
        const response = await fetch(estate.identityEndpoint, {
          method: "POST",
          headers: { Metadata: "true", "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ resource }).toString(),
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as Record<string, string>;
        expect(Number(body["expires_on"])).toBeGreaterThan(Date.now() / 1000);
        expect(Number(body["expires_in"])).toBeGreaterThan(3000);
        const header = JSON.parse(
          Buffer.from((body["access_token"] ?? "").split(".")[0] ?? "", "base64url").toString(),
        ) as { alg: string };
        expect(header.alg).toBe("RS256");
        expect(decodeJwt(body["access_token"] ?? "").aud).toBe(resource);
      }
    });

    it("refuses the form POST without Metadata: true, and an unknown resource", async () => {
      const form = { "Content-Type": "application/x-www-form-urlencoded" };
      const noMetadata = await fetch(estate.identityEndpoint, {
        method: "POST",
        headers: form,
        body: "resource=https://management.azure.com/",
      });
      expect(noMetadata.status).toBe(400);
      const unknown = await fetch(estate.identityEndpoint, {
        method: "POST",
        headers: { ...form, Metadata: "true" },
        body: "resource=https://unknown.example/",
      });
      expect(unknown.status).toBe(400);
    });
  });

  describe("metadata discovery", () => {
    it("answers the 2015-01-01 document az cloud register reads", async () => {
      const response = await call(estate, "GET", "/metadata/endpoints?api-version=2015-01-01");
      expect(response.status).toBe(200);
      expect(at(response.body, "authentication", "loginEndpoint")).toBe(`${estate.url}/`);
      expect(at(response.body, "authentication", "audiences", 0)).toBe(
        "https://management.core.windows.net/",
      );
      expect(typeof at(response.body, "graphEndpoint")).toBe("string");
    });

    it("answers a list of clouds from 2019-05-01 on, with the resource manager and suffixes", async () => {
      const response = await call(estate, "GET", "/metadata/endpoints?api-version=2022-09-01");
      expect(response.status).toBe(200);
      expect(at(response.body, 0, "resourceManager")).toBe(`${estate.url}/`);
      expect(at(response.body, 0, "suffixes", "keyVaultDns")).toBe("vault.azure.net");
    });

    it("reads a path joined to the endpoint's trailing slash (//metadata/...) as a path", async () => {
      const response = await fetch(`${estate.url}//metadata/endpoints?api-version=2015-01-01`);
      expect(response.status).toBe(200);
    });

    it("requires an api-version", async () => {
      const response = await call(estate, "GET", "/metadata/endpoints");
      expect(response.status).toBe(400);
      expect(at(response.body, "error", "code")).toBe("MissingApiVersionParameter");
    });
  });

  describe("Metrics_List as az sends it", () => {
    const base = `${demoIds.plan}/providers/Microsoft.Insights/metrics?api-version=2018-01-01&metricnames=CpuPercentage&interval=PT1H`;
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const start = new Date(end.getTime() - 2 * 3_600_000);
    const plain = (d: Date) => d.toISOString().replace("Z", "");

    it("reads a double-encoded timespan and offset-less timestamps (microseconds) as UTC", async () => {
      const micro = (d: Date) => `${plain(d).replace(/\.\d{3}$/, "")}.000000`;
      const az = encodeURIComponent(encodeURIComponent(`${micro(start)}/${micro(end)}`));
      const once = encodeURIComponent(`${start.toISOString()}/${end.toISOString()}`);
      const [doubled, single] = await Promise.all([
        call(estate, "GET", `${base}&timespan=${az}`, { token }),
        call(estate, "GET", `${base}&timespan=${once}`, { token }),
      ]);
      expect(doubled.status).toBe(200);
      expect(single.status).toBe(200);
      expect(at(doubled.body, "timespan")).toBe(
        `${start.toISOString().replace(".000", "")}/${end.toISOString().replace(".000", "")}`,
      );
      expect(at(doubled.body, "value")).toEqual(at(single.body, "value"));
    });

    it("reads a timestamp without an offset as UTC whatever the machine's time zone", () => {
      const zone = process.env["TZ"];
      process.env["TZ"] = "America/New_York";
      try {
        expect(parseInstant("2026-12-01T10:00:00.123456")?.getTime()).toBe(
          Date.UTC(2026, 11, 1, 10, 0, 0, 123),
        );
        expect(parseInstant("2026-12-01T10:00:00+02:00")?.getTime()).toBe(Date.UTC(2026, 11, 1, 8));
        expect(parseInstant("2026-12-01T10:00Z")?.getTime()).toBe(Date.UTC(2026, 11, 1, 10));
        expect(parseInstant("PT1H")).toBeUndefined();
      } finally {
        if (zone === undefined) delete process.env["TZ"];
        else process.env["TZ"] = zone;
      }
    });

    it("still refuses a timespan that is not one", async () => {
      const response = await call(estate, "GET", `${base}&timespan=yesterday`, { token });
      expect(response.status).toBe(400);
    });
  });

  describe("site configuration", () => {
    for (const [label, id] of [
      ["a site", demoIds.webSite],
      ["a slot", demoIds.stagingSlot],
    ] as const) {
      it(`serves config/web and config/appsettings/list for ${label}`, async () => {
        const web = await call(estate, "GET", `${id}/config/web?api-version=2022-03-01`, { token });
        expect(web.status).toBe(200);
        expect(at(web.body, "id")).toBe(`${id}/config/web`);
        expect(at(web.body, "type")).toMatch(/^Microsoft\.Web\/sites(\/slots)?\/config$/);
        expect(at(web.body, "properties", "alwaysOn")).toBe(true);
        const settings = await call(estate, "POST", `${id}/config/appsettings/list?api-version=2022-03-01`, {
          token,
        });
        expect(settings.status).toBe(200);
        expect(at(settings.body, "name")).toBe("appsettings");
        // Each slot runs a release from its versioned package (the slot swap's model).
        expect(at(settings.body, "properties", "WEBSITE_RUN_FROM_PACKAGE")).toMatch(
          /\/_packages\/phoenix-web-\d+\.\d+\.\d+\.zip$/,
        );
      });
    }

    it("serves the publishing profiles az webapp show reads the FTP URL from", async () => {
      const response = await fetch(`${estate.url}${demoIds.webSite}/publishxml?api-version=2022-03-01`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ format: "WebDeploy" }),
      });
      expect(response.status).toBe(200);
      const xml = await response.text();
      expect(xml).toMatch(/^<publishData><publishProfile /);
      expect(xml).toContain('publishMethod="FTP"');
    });

    it("answers ResourceNotFound for the config of a site that does not exist", async () => {
      const missing = `${demoIds.resourceGroup}/providers/Microsoft.Web/sites/nope/config/web?api-version=2022-03-01`;
      const response = await call(estate, "GET", missing, { token });
      expect(response.status).toBe(404);
      expect(at(response.body, "error", "code")).toBe("ResourceNotFound");
    });
  });

  describe("what the estate does not serve fails as Azure fails", () => {
    const sub = `/subscriptions/${demo.subscriptionId}`;
    const cases: [string, string, number, string][] = [
      ["an unknown namespace", `${sub}/providers/Microsoft.Bogus/widgets`, 400, "InvalidResourceNamespace"],
      ["an unserved type", `${sub}/providers/Microsoft.Web/widgets`, 404, "InvalidResourceType"],
      [
        "an unserved type in a resource group",
        `${demoIds.resourceGroup}/providers/Microsoft.Authorization/roleAssignments`,
        404,
        "InvalidResourceType",
      ],
      ["an unserved child collection", `${demoIds.webSite}/widgets`, 404, "InvalidResourceType"],
      [
        "a missing resource",
        `${demoIds.resourceGroup}/providers/Microsoft.Web/sites/nope`,
        404,
        "ResourceNotFound",
      ],
    ];
    for (const [label, path, status, code] of cases) {
      it(`answers ${code} for ${label}, never an empty list`, async () => {
        const response = await call(estate, "GET", `${path}?api-version=2022-03-01`, { token });
        expect(response.status).toBe(status);
        expect(response.body).toEqual({ error: { code, message: expect.any(String) as string } });
      });
    }

    it("answers NoRegisteredProviderFound for an api-version no provider has", async () => {
      const response = await call(
        estate,
        "GET",
        `${sub}/providers/Microsoft.Web/sites?api-version=2999-01-01`,
        {
          token,
        },
      );
      expect(response.status).toBe(400);
      expect(at(response.body, "error", "code")).toBe("NoRegisteredProviderFound");
    });

    it("answers a write to an unserved type with InvalidResourceType, and one no surface serves yet with 405", async () => {
      // (slotsswap is served now: see slot-swaps; restart is not.)
      const swap = await call(estate, "POST", `${demoIds.webSite}/restart?api-version=2022-03-01`, {
        token,
        body: {},
      });
      expect(swap.status).toBe(404);
      expect(at(swap.body, "error", "code")).toBe("InvalidResourceType");
      const put = await call(estate, "PUT", `${demoIds.webSite}?api-version=2022-03-01`, {
        token,
        body: {},
      });
      expect(put.status).toBe(405);
    });

    it("still lists a served type that has nothing in it", async () => {
      const response = await call(
        estate,
        "GET",
        `${demoIds.resourceGroup}/providers/Microsoft.Web/sites/${demo.apiSite}/slots?api-version=2022-03-01`,
        { token },
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ value: [] });
    });
  });
});
