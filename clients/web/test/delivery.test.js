import assert from "node:assert/strict";
import { test } from "node:test";

import { DELIVERY } from "../src/delivery.generated.js";
import { Delivery, resolvePolicy } from "../src/delivery.js";
import { SluiceTelemetry } from "../src/sluice.js";
import { FakeVideo, fakeIngest, sleep } from "./fakes.js";

const OPTIONS = {
  endpoint: "https://ingest.example/events?key=site-key",
  player: { name: "sluice-web", version: "1.0.0" },
  content: { id: "movie-1", title: "A movie", duration_ms: 5_400_000, live: false },
};

// A session whose ingest stamps when each request arrived.
function session(options) {
  const video = new FakeVideo();
  const ingest = fakeIngest();
  const fetch = (url, init) => {
    const sent = ingest.fetch(url, init);
    ingest.requests.at(-1).at = Date.now();
    return sent;
  };
  const handle = SluiceTelemetry.attach(video, { ...OPTIONS, fetch, ...options });
  return { video, ingest, handle };
}

async function play(video, ms, step = 10) {
  video.paused = false;
  video.fire("play");
  video.fire("playing");
  for (let t = 0; t < ms; t += step) {
    video.currentTime += step / 1000;
    video.fire("timeupdate");
    await sleep(step);
  }
}

test("the SDK's defaults are the generated settings the cost model reads", () => {
  const delivery = new Delivery(OPTIONS.endpoint, { fetch: async () => ({ status: 200 }) });
  delivery.stop();
  assert.equal(delivery.policy, "interval");
  assert.equal(delivery.flushIntervalMs, DELIVERY.flushIntervalMs);
  assert.equal(delivery.batchSize, DELIVERY.batchSize);
  assert.equal(delivery.maxQueue, DELIVERY.maxQueue);
});

test("the heartbeats policy flushes as many heartbeats as fit in one monitor window, never later", () => {
  // the monitor's 60 s window and the 10 s heartbeat: a flush a minute, 50 events a batch
  assert.deepEqual(resolvePolicy({ deliveryPolicy: "heartbeats" }), { name: "heartbeats", flushIntervalMs: 60_000, batchSize: 50 });
  assert.equal(DELIVERY.monitorWindowMs, 60_000);
  // a 25 s heartbeat: two of them (50 s), not three (75 s, past the window)
  assert.equal(resolvePolicy({ deliveryPolicy: "heartbeats", heartbeatIntervalMs: 25_000 }).flushIntervalMs, 50_000);
  // a heartbeat longer than the window: the window
  assert.equal(resolvePolicy({ deliveryPolicy: "heartbeats", heartbeatIntervalMs: 90_000 }).flushIntervalMs, 60_000);
  // a longer flush interval asked for is held to the bound; a shorter one kept
  assert.equal(resolvePolicy({ deliveryPolicy: "heartbeats", flushIntervalMs: 600_000 }).flushIntervalMs, 60_000);
  assert.equal(resolvePolicy({ deliveryPolicy: "heartbeats", flushIntervalMs: 30_000 }).flushIntervalMs, 30_000);
  // a deployment's own window
  assert.equal(resolvePolicy({ deliveryPolicy: "heartbeats", monitorWindowMs: 30_000 }).flushIntervalMs, 30_000);
  assert.throws(() => resolvePolicy({ deliveryPolicy: "hourly" }), /no delivery policy hourly/);
});

test("under the heartbeats policy a request carries several heartbeats and no event waits past the window", async () => {
  // GIVEN heartbeats every 40 ms and a monitor window of 130 ms (three heartbeats a flush)
  const window = 130;
  const { video, ingest, handle } = session({ deliveryPolicy: "heartbeats", heartbeatIntervalMs: 40, monitorWindowMs: window, flushIntervalMs: 10_000 });
  assert.equal(handle.delivery.flushIntervalMs, 120);
  // WHEN the viewer watches for a while
  await play(video, 600);
  const live = ingest.requests.slice(); // before the page-exit flush
  handle.detach();
  // THEN the requests batch heartbeats together ...
  assert.ok(live.length >= 3, `${live.length} requests`);
  const heartbeats = live.map((r) => r.events.filter((e) => e.event_type === "heartbeat").length);
  assert.ok(Math.max(...heartbeats) >= 2, `heartbeats per request ${heartbeats}`);
  // ... and every event reached ingest within one window of happening (timers' slack aside)
  for (const request of live) {
    for (const event of request.events) {
      const waited = request.at - Date.parse(event.client_time);
      assert.ok(waited <= window + 25, `${event.event_type} waited ${waited} ms`);
    }
  }
  // the interval policy, the same session: a request each flush interval or less
  const interval = session({ heartbeatIntervalMs: 40, flushIntervalMs: 20 });
  await play(interval.video, 600);
  interval.handle.detach();
  const perRequest = (requests) => requests.flatMap((r) => r.events).length / requests.length;
  assert.ok(perRequest(live) > 2 * perRequest(interval.ingest.requests), `${perRequest(live)} vs ${perRequest(interval.ingest.requests)}`);
});

for (const [what, exit] of [
  ["pagehide", (page) => page.dispatchEvent(new Event("pagehide"))],
  ["a hidden page", (_page, doc) => { doc.visibilityState = "hidden"; doc.dispatchEvent(new Event("visibilitychange")); }],
]) {
  test(`under the heartbeats policy, ${what} sends every held event with keepalive`, async () => {
    const page = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
    // GIVEN a session holding its events for the next flush, a minute away
    const { video, ingest } = session({ deliveryPolicy: "heartbeats", heartbeatIntervalMs: 20, window: page, document: doc });
    await play(video, 300); // some 15 heartbeats: more than the interval policy's batch of 10
    assert.equal(ingest.requests.length, 0);
    // WHEN the page goes
    exit(page, doc);
    await sleep(10);
    // THEN everything goes at once, in a request the browser finishes after the page is gone
    assert.equal(ingest.requests.length, 1);
    const [last] = ingest.requests;
    assert.equal(last.init.keepalive, true);
    const types = last.events.map((e) => e.event_type);
    assert.equal(types[0], "session_start");
    assert.equal(types.at(-1), "session_end");
    assert.ok(types.filter((t) => t === "heartbeat").length >= 3, types.join());
    assert.deepEqual(last.events.map((e) => e.sequence), last.events.map((_, i) => i));
  });
}
