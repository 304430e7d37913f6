import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { type AlertValue, type NormalizedAlert, alertSeverities } from "../../../src/shared/alerts/model.ts";
import type * as NormalizeModule from "../../../src/shared/alerts/normalize.ts";
import { normalizeAlert } from "../../../src/shared/alerts/normalize.ts";
import type { Incident } from "../../../src/shared/incidents/model.ts";
import { processAlert } from "../../../src/shared/operations/incidents/processing.ts";
import {
  type IncidentEmailKind,
  renderDigestEmail,
  renderIncidentEmail,
} from "../../../src/shared/operations/incidents/email.ts";
import { PROD_SUBSCRIPTION, makeDeps, normalized, prodWeb } from "./support.ts";

/** The real normalizer, but one a test can make answer a NormalizedAlert it wrote (bypassing the schema). */
vi.mock("../../../src/shared/alerts/normalize.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof NormalizeModule>();
  return { ...actual, normalizeAlert: vi.fn(actual.normalizeAlert) };
});

const hostileSamples = [
  "<script>alert(1)</script>",
  "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
  '"><img src=x onerror=alert(1)>',
  "'><img src=x onerror=alert(1)>",
  '<a href="javascript:alert(1)">click</a>',
  "javascript:alert(document.cookie)",
  "JaVaScRiPt:alert(1)",
  'https://portal.azure.com/" onmouseover="alert(1)',
  "https://evil.example/'><script>alert(1)</script>",
  "<svg/onload=alert(1)>",
  "<iframe src=javascript:alert(1)>",
  "&lt;script&gt;alert(1)&lt;/script&gt;",
  "</td></tr></table><script>alert(1)</script>",
  "Subject line\r\nBcc: everyone@example.com",
  "tab\tnull\u0000bell\u0007del\u007f",
  "\u2028\u2029\u0085",
];

const hostile = fc.constantFrom(...hostileSamples);
const htmlish = fc
  .array(
    fc.constantFrom(
      "<",
      ">",
      '"',
      "'",
      "&",
      "/",
      "=",
      " ",
      "\r",
      "\n",
      "a href",
      "script",
      "img",
      "javascript:",
      "https://",
      "onerror",
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(""));
/** Any text an alert could carry: printable, any Unicode, hostile samples and mixtures of them. */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  hostile,
  htmlish,
  fc.tuple(fc.string(), hostile, fc.string({ unit: "binary" })).map(([a, b, c]) => a + b + c),
);

const valueArb: fc.Arbitrary<AlertValue> = fc.record({
  name: text,
  value: fc.oneof(text, fc.double(), fc.constant(null)),
  threshold: fc.oneof(text, fc.double(), fc.constant(null)),
  operator: fc.option(text),
  aggregation: fc.option(text),
});

const targetArb = fc.oneof(
  text,
  text.map((name) => `${prodWeb.slice(0, prodWeb.lastIndexOf("/") + 1)}${name}`),
  text.map((name) => `/subscriptions/${PROD_SUBSCRIPTION}/resourceGroups/${name}/providers/x/y/${name}`),
);

const alertArb: fc.Arbitrary<NormalizedAlert> = fc
  .record({
    monitoringService: text,
    alertId: text,
    rule: text,
    severity: fc.constantFrom(...alertSeverities, null),
    targets: fc.array(targetArb, { maxLength: 2 }),
    description: fc.option(text),
    values: fc.array(valueArb, { maxLength: 3 }),
    link: fc.option(
      fc.oneof(
        text,
        fc.webUrl(),
        hostile.map((h) => `https://portal.azure.com/${h}`),
      ),
    ),
    isTest: fc.boolean(),
  })
  .map((fields) => normalized(fields));

const allowedTags = new Set([
  "!doctype",
  "html",
  "body",
  "h2",
  "h3",
  "p",
  "strong",
  "table",
  "tr",
  "th",
  "td",
  "a",
  "br",
  "pre",
  "ul",
  "li",
]);

/**
 * Alert text may say "javascript:" or "onerror=" as text; what matters is that it never becomes markup:
 * every tag is one of the template's, carries no script, and every link is https.
 */
function expectSafeHtml(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  for (const [tag] of html.matchAll(/<[^>]*>?/g)) {
    const name = /^<\/?([^\s>/]+)/.exec(tag)?.[1]?.toLowerCase();
    expect(allowedTags, `unexpected tag ${tag}`).toContain(name);
    if (tag.startsWith("</")) {
      expect(tag).toMatch(/^<\/[a-z0-9]+>$/i);
      continue;
    }
    // The only attribute of a link is an https href, quoted, with nothing in it that ends the quote.
    if (name === "a") expect(tag).toMatch(/^<a href="https:\/\/[^"<>]*">$/);
    const outsideQuotes = tag.replace(/"[^"]*"/g, '""');
    expect(outsideQuotes).not.toMatch(/\son\w+\s*=|javascript:|'/i);
  }
}

function expectOneLineSubject(subject: string): void {
  expect(subject).not.toMatch(/[\r\n]/);
  // eslint-disable-next-line no-control-regex -- control characters are what must not be there
  expect(subject).not.toMatch(/[\u0000-\u001f\u007f]/);
}

/** The incident processAlert makes of the alert, and the email it puts in the outbox. */
async function incidentFrom(
  alert: NormalizedAlert,
): Promise<{ incident: Incident; html: string; subject: string }> {
  const deps = makeDeps();
  // processAlert normalizes the queued payload; here the normalizer answers the generated alert as is.
  vi.mocked(normalizeAlert).mockReturnValueOnce({ kind: "alert", alert });
  const { incidentId } = await processAlert(deps, { key: "e".repeat(64), raw: "{}" });
  const incident = deps.store.incident(incidentId!);
  expect(incident).toMatchObject({ source: "alert", rule: alert.rule, values: alert.values });
  const notes = deps.store.notificationsOf(incident.id);
  expect(notes).toHaveLength(1);
  return { incident, html: notes[0]!.html, subject: notes[0]!.subject };
}

describe("incident email content", () => {
  it("renders any alert text as inert HTML with https-only links and a one-line subject", async () => {
    await fc.assert(
      fc.asyncProperty(
        alertArb,
        fc.constantFrom<IncidentEmailKind>("opened", "escalated", "resolved", "unrecognized"),
        fc.option(text),
        fc.constantFrom("https://phoenix-ops.example.net", "https://phoenix-ops.example.net/", null),
        async (alert, kind, step, apiBaseUrl) => {
          const { incident, html, subject } = await incidentFrom(alert);
          expectSafeHtml(html);
          expectOneLineSubject(subject);

          const rendered = renderIncidentEmail(
            { ...incident, status: kind === "resolved" ? "resolved" : incident.status },
            { kind, step: step ?? undefined, apiBaseUrl },
          );
          expectSafeHtml(rendered.html);
          expectOneLineSubject(rendered.subject);

          const digest = renderDigestEmail([incident, incident], "2026-11-26T06:00", apiBaseUrl);
          expectSafeHtml(digest.html);
          expectOneLineSubject(digest.subject);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(hostileSamples)("escapes the hostile sample %j wherever it appears", async (sample) => {
    const alert = normalized({
      rule: sample,
      description: sample,
      monitoringService: sample,
      targets: [`${prodWeb.slice(0, prodWeb.lastIndexOf("/") + 1)}${sample}`],
      values: [{ name: sample, value: sample, threshold: sample, operator: sample, aggregation: sample }],
      link: sample,
    });
    const { html, subject } = await incidentFrom(alert);
    expectSafeHtml(html);
    expectOneLineSubject(subject);
  });

  it("keeps an https Azure link and drops any other scheme", async () => {
    const kept = await incidentFrom(normalized({ link: "https://portal.azure.com/#blade/x?a=1&b=2" }));
    expect(kept.html).toContain('<a href="https://portal.azure.com/#blade/x?a=1&amp;b=2">Open in Azure</a>');
    for (const link of ["javascript:alert(1)", "http://portal.azure.com/", "data:text/html,<b>x</b>"]) {
      const dropped = await incidentFrom(normalized({ link }));
      expect(dropped.html).not.toContain("Open in Azure");
    }
  });
});
