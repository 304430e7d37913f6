/**
 * Preloaded into the benchmark's Functions host (`--import`) when BENCH_HOST_PROFILE names a folder:
 * a V8 CPU profile of the host between two SIGUSR2 signals, which the alert benchmark sends around the
 * measured storm and its drain. (`--cpu-prof` itself is not allowed in NODE_OPTIONS, and would also
 * profile the start-up, the warm-up and the idle wait for emails.) The profile is written as
 * `host-<pid>.cpuprofile`, readable by Chrome DevTools or test/bench/profile-summary.ts. Beside it,
 * `host-<pid>.requests.json` counts the host's outgoing HTTP requests in the same window by method,
 * port and resource (a table, queue or container, the entity's key left out), which tells storage
 * calls per alert.
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import process from "node:process";
import { setInterval } from "node:timers";
import { URL } from "node:url";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.BENCH_HOST_PROFILE;
if (dir) {
  // BENCH_HOST_PROFILE_CPU=0 counts requests only. The session is connected on the first signal, so
  // that nothing of the inspector is in the way before.
  const cpu = process.env.BENCH_HOST_PROFILE_CPU !== "0";
  let session;
  let running = false;
  const counts = new Map();
  const request = http.request;
  http.request = function (...args) {
    if (running) {
      const options = typeof args[0] === "object" && !(args[0] instanceof URL) ? args[0] : {};
      const path = String(options.path ?? "").split("?")[0];
      // /devstoreaccount1/<table>(PartitionKey='..',RowKey='..') or /devstoreaccount1/<queue>/messages/<id>
      const resource = path
        .replace(/\(.*\)$/, "(…)")
        .replace(/\/messages\/[^/]+$/, "/messages/…")
        .replace(/^(\/[^/]+\/[^/(]+-diagnostics)\/.*$/, "$1/…");
      const key = `${options.method ?? "GET"} :${options.port ?? ""} ${resource}`;
      const entry = counts.get(key) ?? { count: 0, totalMs: 0, maxMs: 0, newSockets: 0 };
      counts.set(key, entry);
      entry.count++;
      inFlight++;
      const started = performance.now();
      const req = request.apply(this, args);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        inFlight--;
        const ms = performance.now() - started;
        entry.totalMs += ms;
        entry.maxMs = Math.max(entry.maxMs, ms);
        // Per second of the window: requests and their summed latency, queue writes apart from the rest.
        const second = Math.floor((performance.now() - windowStart) / 1000);
        const slot = (timeline[second] ??= { queueSends: 0, queueSendMs: 0, other: 0, otherMs: 0 });
        if (options.method === "POST" && /\/messages$/.test(resource)) {
          slot.queueSends++;
          slot.queueSendMs += ms;
        } else {
          slot.other++;
          slot.otherMs += ms;
        }
      };
      req.once("response", (res) => {
        if (!req.reusedSocket) entry.newSockets++;
        res.once("end", finish);
        res.once("close", finish);
      });
      req.once("error", finish);
      req.once("close", finish);
      return req;
    }
    return request.apply(this, args);
  };
  // Requests in flight, sampled every 100 ms while counting: how much concurrency the host offers.
  let inFlight = 0;
  let windowStart = 0;
  let timeline = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const inFlightSamples = [];
  setInterval(() => {
    if (running) inFlightSamples.push(inFlight);
  }, 100).unref();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  process.on("SIGUSR2", () => {
    void (async () => {
      if (!running) {
        running = true;
        windowStart = performance.now();
        timeline = [];
        loopDelay.reset();
        loopDelay.enable();
        if (!cpu) return;
        session = new Session();
        session.connect();
        await post("Profiler.enable");
        await post("Profiler.setSamplingInterval", {
          interval: Number(process.env.BENCH_HOST_PROFILE_INTERVAL_US ?? 500),
        });
        await post("Profiler.start");
        return;
      }
      running = false;
      loopDelay.disable();
      const { profile } = cpu
        ? await post("Profiler.stop")
        : { profile: { nodes: [], samples: [], timeDeltas: [] } };
      const file = join(dir, `host-${process.pid}.cpuprofile`);
      writeFileSync(
        file.replace(/\.cpuprofile$/, ".requests.json"),
        JSON.stringify(
          {
            eventLoopDelayMs: {
              p50: loopDelay.percentile(50) / 1e6,
              p99: loopDelay.percentile(99) / 1e6,
              max: loopDelay.max / 1e6,
            },
            perSecond: timeline.map((t) => ({
              queueSends: t?.queueSends ?? 0,
              queueSendMeanMs: t?.queueSends ? +(t.queueSendMs / t.queueSends).toFixed(1) : null,
              other: t?.other ?? 0,
              otherMeanMs: t?.other ? +(t.otherMs / t.other).toFixed(1) : null,
            })),
            inFlight: inFlightSamples,
            requests: Object.fromEntries(
              [...counts]
                .sort((a, b) => b[1].count - a[1].count)
                .map(([k, e]) => [
                  k,
                  { ...e, meanMs: +(e.totalMs / e.count).toFixed(2), totalMs: Math.round(e.totalMs) },
                ]),
            ),
          },
          null,
          2,
        ),
      );
      writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`cpu profile written to ${file}\n`);
    })();
  });
}
