import assert from "node:assert/strict";
import { test } from "node:test";

import { DELIVERY } from "../src/delivery.generated.js";
import { Delivery, resolvePolicy } from "../src/delivery.js";
import { SluiceTelemetry } from "../src/sluice.js";
import { FakeVideo, fakeIngest, sleep, until } from "./fakes.js";

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

// --- what page exit can and cannot hand on ----------------------------------------------------

const bytes = (text) => new TextEncoder().encode(text).length;
const FETCH_KEEPALIVE_QUOTA = 64 * 1024; // the Fetch standard's inflightKeepaliveBytes, per page

// A leaving page as a browser sees it: keepalive fetches share one 64 KiB budget of UTF-8 body
// bytes, and one over it rejects asynchronously (a TypeError), never at the call; sendBeacon
// returns false once its quota is spent.
function leavingPage({ beaconQuota = 64 * 1024, fetchRejects = false } = {}) {
  const page = { keepalive: [], beacons: [], inflight: 0, beaconed: 0 };
  page.fetch = async (_url, init) => {
    const size = bytes(init.body);
    if (fetchRejects || page.inflight + size > FETCH_KEEPALIVE_QUOTA) throw new TypeError("Failed to fetch");
    page.inflight += size;
    page.keepalive.push(init.body);
    return { status: 200 };
  };
  page.sendBeacon = (_url, blob) => {
    if (page.beaconed + blob.size > beaconQuota) return false;
    page.beaconed += blob.size;
    page.beacons.push(blob);
    return true;
  };
  page.delivered = async () => {
    const bodies = [...page.keepalive, ...(await Promise.all(page.beacons.map((b) => b.text())))];
    return bodies.flatMap((body) => JSON.parse(body).map((e) => e.n));
  };
  return page;
}

function held(delivery, count, text) {
  for (let n = 0; n < count; n += 1) delivery.push({ n, text });
}

test("the exit flush keeps its keepalive bodies within 60 KiB of UTF-8 in all, and beacons the rest", async () => {
  // GIVEN 30 held events of 1,000 CJK characters: 1,000 UTF-16 units but 3,000 UTF-8 bytes each
  const page = leavingPage();
  const delivery = new Delivery(OPTIONS.endpoint, { fetch: page.fetch, sendBeacon: page.sendBeacon, batchSize: 100 });
  held(delivery, 30, "日".repeat(1000));
  // WHEN the page goes
  delivery.flushAtExit();
  await sleep(10);
  // THEN keepalive carries what fits the page's budget, counted in bytes, and sendBeacon the rest
  const keepaliveBytes = page.keepalive.reduce((sum, body) => sum + bytes(body), 0);
  assert.ok(keepaliveBytes <= DELIVERY.keepaliveBytes, `${keepaliveBytes} keepalive bytes`);
  assert.ok(page.keepalive.length >= 1 && page.beacons.length >= 1, `${page.keepalive.length} fetches, ${page.beacons.length} beacons`);
  assert.deepEqual((await page.delivered()).sort((a, b) => a - b), [...Array(30).keys()]);
  assert.equal(delivery.dropped, 0);
});

test("a keepalive fetch the browser rejects goes by sendBeacon, and what neither takes is counted as dropped", async () => {
  // a rejected keepalive fetch (later, not at the call): the beacon takes it
  const page = leavingPage({ fetchRejects: true });
  const delivery = new Delivery(OPTIONS.endpoint, { fetch: page.fetch, sendBeacon: page.sendBeacon, batchSize: 100 });
  held(delivery, 3, "x");
  delivery.flushAtExit();
  await sleep(10);
  assert.deepEqual(await page.delivered(), [0, 1, 2]);
  assert.equal(delivery.dropped, 0);
  // more than both quotas together: every event is either handed on or counted, none vanishes
  const full = leavingPage({ beaconQuota: 20 * 1024 });
  const over = new Delivery(OPTIONS.endpoint, { fetch: full.fetch, sendBeacon: full.sendBeacon, batchSize: 500 });
  held(over, 200, "y".repeat(1000)); // some 200 KB
  over.flushAtExit();
  await sleep(10);
  const delivered = await full.delivered();
  assert.ok(delivered.length < 200 && over.dropped > 0, `${delivered.length} delivered, ${over.dropped} dropped`);
  assert.equal(delivered.length + over.dropped, 200);
});

test("a batch waiting for a retry goes with the exit flush, not lost in its timer", async () => {
  // GIVEN a batch answered 503 with a Retry-After of a minute
  const page = new EventTarget();
  const ingest = fakeIngest([{ status: 503, headers: { "retry-after": "60" }, body: { message: "Service Unavailable" } }]);
  const options = { batchSize: 3, flushIntervalMs: 10_000, heartbeatIntervalMs: 10_000, window: page, fetch: ingest.fetch };
  const handle = SluiceTelemetry.attach(new FakeVideo(), { ...OPTIONS, ...options });
  handle.delivery.push({ n: 0 });
  handle.delivery.push({ n: 1 }); // with session_start, a batch of three, refused for now
  await sleep(10);
  assert.equal(ingest.requests.length, 1);
  // WHEN the page goes
  page.dispatchEvent(new Event("pagehide"));
  await sleep(10);
  // THEN the waiting batch leaves with keepalive at once, with the session's last events
  const exit = ingest.requests.slice(1);
  assert.ok(exit.length >= 1 && exit.every((r) => r.init.keepalive === true), JSON.stringify(exit.map((r) => r.init.keepalive)));
  const sent = exit.flatMap((r) => r.events);
  assert.deepEqual(sent.slice(0, 3), ingest.requests[0].events);
  assert.equal(sent.at(-1).event_type, "session_end");
  assert.equal(handle.delivery.retrying.size, 0); // no timer left to resend it twice
  assert.equal(handle.delivery.dropped, 0);
});

test("the session's last heartbeat and session_end leave in the exit flush even at a full batch", async () => {
  // GIVEN a batch size the session's closing events reach (session_start, buffering_start, then two)
  const page = new EventTarget();
  const ingest = fakeIngest();
  const options = { batchSize: 3, flushIntervalMs: 10_000, heartbeatIntervalMs: 10_000, window: page, fetch: ingest.fetch };
  const video = new FakeVideo();
  SluiceTelemetry.attach(video, { ...OPTIONS, ...options });
  video.fire("play");
  // WHEN the page goes
  page.dispatchEvent(new Event("pagehide"));
  await sleep(10);
  // THEN everything goes in keepalive requests (a plain fetch is cancelled with the page)
  assert.deepEqual(ingest.requests.map((r) => r.init.keepalive), [true]);
  assert.deepEqual(ingest.requests[0].events.map((e) => e.event_type), ["session_start", "buffering_start", "heartbeat", "session_end"]);
});

for (const status of [500, 502, 504]) {
  test(`a ${status} is retried, the whole batch, not dropped`, async () => {
    const ingest = fakeIngest([{ status, body: { message: "Internal Server Error" } }]);
    const delivery = new Delivery(OPTIONS.endpoint, { fetch: ingest.fetch, batchSize: 2, flushIntervalMs: 10_000 });
    delivery.push({ n: 0 });
    delivery.push({ n: 1 });
    try {
      await until(() => ingest.requests.length > 1);
    } finally {
      delivery.stop();
    }
    assert.deepEqual(ingest.requests[1].events, [{ n: 0 }, { n: 1 }]);
    assert.equal(delivery.dropped, 0);
  });
}
