import assert from "node:assert/strict";
import { test } from "node:test";

import { SluiceTelemetry } from "../src/sluice.js";
import { contractProblems } from "./contract-check.js";
import { FakeHls, FakeVideo, fakeIngest, sleep, until } from "./fakes.js";

const OPTIONS = {
  endpoint: "https://ingest.example/events?key=site-key",
  player: { name: "sluice-web", version: "1.0.0" },
  content: { id: "movie-1", title: "A movie", duration_ms: 5_400_000, live: false },
  heartbeatIntervalMs: 40,
  flushIntervalMs: 20,
};

function session(extra = {}) {
  const video = new FakeVideo();
  const ingest = fakeIngest(extra.answers);
  const hls = extra.hls ?? null;
  const handle = SluiceTelemetry.attach(video, { ...OPTIONS, fetch: ingest.fetch, hls, ...extra.options });
  return { video, ingest, handle, hls };
}

async function playFor(video, ms, step = 10) {
  for (let t = 0; t < ms; t += step) {
    video.currentTime += step / 1000;
    video.ranges = [[0, video.currentTime + 8]];
    video.fire("timeupdate");
    await sleep(step);
  }
}

test("a viewing session emits the contract's events with their exact fields", async () => {
  const levels = [{ bitrate: 800_000 }, { bitrate: 2_400_000 }];
  const { video, ingest, handle, hls } = session({ hls: new FakeHls(levels) });
  // GIVEN a viewer who presses play, watches, stalls, switches bitrate, seeks and pauses
  video.paused = false;
  video.fire("play");
  await sleep(30);
  hls.trigger("hlsLevelSwitched", { level: 0 });
  video.fire("playing");
  await playFor(video, 100);
  video.fire("waiting"); // a stall
  await sleep(60);
  video.fire("playing");
  hls.trigger("hlsLevelSwitched", { level: 1 });
  await playFor(video, 60);
  video.seeking = true;
  video.fire("seeking");
  video.currentTime = 42;
  video.seeking = false;
  video.fire("seeked");
  video.paused = true;
  video.fire("pause");
  handle.detach();
  await sleep(30);
  const events = ingest.events();
  // THEN every event is the contract's, in one session with an unbroken sequence
  for (const event of events) assert.deepEqual(contractProblems(event), [], JSON.stringify(event));
  assert.equal(new Set(events.map((e) => e.session_id)).size, 1);
  assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i));
  assert.equal(new Set(events.map((e) => e.event_id)).size, events.length);
  const types = events.map((e) => e.event_type);
  assert.equal(types[0], "session_start");
  assert.equal(types.at(-1), "session_end");
  for (const type of ["play", "heartbeat", "buffering_start", "buffering_end", "bitrate_change", "seek", "pause"]) {
    assert.ok(types.includes(type), `${type} in ${types}`);
  }
  const play = events.find((e) => e.event_type === "play");
  assert.equal(play.payload.initial, true);
  assert.ok(play.payload.startup_time_ms >= 25, `startup ${play.payload.startup_time_ms}`);
  const stall = events.filter((e) => e.event_type.startsWith("buffering_") && e.payload.cause === "stall");
  assert.deepEqual(stall.map((e) => e.event_type), ["buffering_start", "buffering_end"]);
  assert.ok(stall[1].payload.duration_ms >= 50);
  const change = events.find((e) => e.event_type === "bitrate_change");
  assert.deepEqual([change.payload.from_kbps, change.payload.to_kbps], [800, 2400]);
  assert.deepEqual(events.find((e) => e.event_type === "seek").payload.to_ms, 42000);
  const heartbeats = events.filter((e) => e.event_type === "heartbeat");
  assert.ok(heartbeats.some((h) => h.payload.rebuffer_time_ms > 0) && heartbeats.some((h) => h.payload.watch_time_ms > 0));
  assert.equal(events.at(-1).payload.reason, "user_exit");
});

test("a fatal hls.js error is a fatal error event and ends the session with reason error", async () => {
  const { video, ingest, hls } = session({ hls: new FakeHls([]) });
  video.paused = false;
  video.fire("play");
  hls.trigger("hlsError", { type: "networkError", details: "fragLoadError", fatal: false, reason: "404" });
  hls.trigger("hlsError", { type: "networkError", details: "manifestLoadError", fatal: true });
  await sleep(30);
  const events = ingest.events();
  const errors = events.filter((e) => e.event_type === "error");
  assert.deepEqual(errors.map((e) => [e.payload.code, e.payload.fatal, e.payload.playhead_ms]), [
    ["fragLoadError", false, null],
    ["manifestLoadError", true, null], // before the first frame: a video start failure
  ]);
  assert.equal(events.at(-1).event_type, "session_end");
  assert.equal(events.at(-1).payload.reason, "error");
  for (const event of events) assert.deepEqual(contractProblems(event), []);
});

test("a 503 is retried after Retry-After, resending only what ingest did not accept", async () => {
  const answers = [{ status: 503, headers: { "retry-after": "0.1" }, body: { accepted: 1, not_accepted: [1] } }];
  const options = { batchSize: 2, flushIntervalMs: 10_000, heartbeatIntervalMs: 10_000 };
  const { video, ingest, handle } = session({ answers, options });
  video.fire("play"); // session_start + buffering_start: one batch of two
  await sleep(50);
  assert.equal(ingest.requests.length, 1); // not before Retry-After
  await until(() => ingest.requests.length > 1);
  // the resend carries only index 1 of the first batch, after the server's Retry-After
  assert.deepEqual(ingest.requests[1].events.map((e) => e.event_type), ["buffering_start"]);
  assert.equal(ingest.requests[1].events[0].event_id, ingest.requests[0].events[1].event_id);
  handle.detach();
});

test("a 429 resends the whole batch, after the server's Retry-After", async () => {
  const answers = [{ status: 429, headers: { "retry-after": "0.1" }, body: { message: "Too Many Requests" } }];
  const options = { batchSize: 2, flushIntervalMs: 10_000, heartbeatIntervalMs: 10_000 };
  const { video, ingest, handle } = session({ answers, options });
  video.fire("play");
  await sleep(50);
  assert.equal(ingest.requests.length, 1);
  await until(() => ingest.requests.length > 1);
  assert.deepEqual(
    ingest.requests[1].events.map((e) => e.event_id),
    ingest.requests[0].events.map((e) => e.event_id),
  );
  handle.detach();
});

test("a refused batch is not retried, memory stays bounded, and the page never sees an error", async () => {
  const { video, ingest, handle } = session({
    answers: [{ status: 400, body: { error: "no event in the request is valid" } }],
    options: { batchSize: 1, maxQueue: 3, flushIntervalMs: 10_000 },
  });
  await sleep(20);
  assert.equal(ingest.requests.length, 1);
  assert.equal(handle.delivery.dropped, 1);
  // a throwing fetch and a broken element: the SDK swallows both
  const broken = SluiceTelemetry.attach(null, { ...OPTIONS, fetch: () => { throw new Error("offline"); } });
  broken.detach();
  video.dispatchEvent(new Event("timeupdate"));
  handle.detach();
});

test("page exit ends the session and hands what is left to fetch keepalive", async () => {
  const page = new EventTarget();
  const { ingest } = session({ options: { batchSize: 100, flushIntervalMs: 10_000, window: page } });
  page.dispatchEvent(new Event("pagehide"));
  await sleep(10);
  const last = ingest.requests.at(-1);
  assert.equal(last.init.keepalive, true);
  assert.equal(last.init.headers["content-type"], "text/plain;charset=UTF-8"); // no CORS preflight
  assert.deepEqual(last.events.map((e) => e.event_type), ["session_start", "session_end"]);
});
