// The SDK on each player it knows (hls.js, dash.js, Shaka) and on a plain <video>: rendition
// switches, errors, the CDN host, heartbeat bitrate, startup time and the CMCD session join, each
// driven through a fake of that player's event API (fakes.js) with its real event names and payloads.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { SluiceTelemetry } from "../src/sluice.js";
import { contractProblems } from "./contract-check.js";
import { FakeDash, FakeHls, FakeShaka, FakeVideo, FakeVideojs, fakeIngest, fragmentRequest, representation, shakaError, shakaTrack, sleep } from "./fakes.js";

const OPTIONS = {
  endpoint: "https://ingest.example/events?key=site-key",
  player: { name: "sluice-web", version: "1.0.0" },
  content: { id: "movie-1", title: "A movie", duration_ms: 5_400_000, live: false },
  heartbeatIntervalMs: 10_000,
  flushIntervalMs: 10,
};

const handles = [];
after(() => handles.forEach((handle) => handle.detach())); // a session left open keeps its timers

function attach(players = {}, options = {}) {
  const video = options.video ?? new FakeVideo();
  const ingest = fakeIngest();
  const problems = [];
  const handle = SluiceTelemetry.attach(video, { ...OPTIONS, fetch: ingest.fetch, onError: (e) => problems.push(e), ...players, ...options });
  handles.push(handle);
  const events = async () => {
    await sleep(30);
    const all = ingest.events();
    for (const event of all) assert.deepEqual(contractProblems(event), [], JSON.stringify(event));
    return all;
  };
  return { video, handle, events, problems };
}

const ofType = (events, type) => events.filter((e) => e.event_type === type);

async function startPlaying(video, waitMs = 0) {
  video.paused = false;
  video.fire("play");
  await sleep(waitMs);
  video.fire("playing");
}

// --- dash.js -------------------------------------------------------------------------------------

test("dash.js: a rendered video quality change is a bitrate_change; the heartbeat reads the current representation", async () => {
  const dash = new FakeDash();
  const { video, handle, events } = attach({ dash });
  // GIVEN dash.js rendering 800 kbps, then switching video to 2400 kbps (and audio on its own)
  dash.representation = representation(800_000);
  dash.trigger("qualityChangeRendered", { mediaType: "video", oldRepresentation: null, newRepresentation: representation(800_000), streamId: "1" });
  await startPlaying(video);
  dash.trigger("qualityChangeRendered", { mediaType: "audio", oldRepresentation: representation(64_000), newRepresentation: representation(128_000), streamId: "1" });
  dash.trigger("qualityChangeRendered", { mediaType: "video", oldRepresentation: representation(800_000), newRepresentation: representation(2_400_000), streamId: "1" });
  dash.representation = representation(2_400_000);
  handle.heartbeat();
  handle.detach();
  // THEN one switch, of the video, with its bitrates; the heartbeat carries the rendition's bitrate
  const all = await events();
  assert.deepEqual(ofType(all, "bitrate_change").map((e) => [e.payload.from_kbps, e.payload.to_kbps]), [[800, 2400]]);
  assert.equal(ofType(all, "heartbeat")[0].payload.bitrate_kbps, 2400);
  assert.equal(dash.listenerCount(), 0); // detach lets go of the player
});

test("dash.js: the CDN host is the host of the segments it loads", async () => {
  const dash = new FakeDash();
  const { video, handle, events } = attach({ dash });
  await startPlaying(video);
  dash.trigger("fragmentLoadingCompleted", { request: fragmentRequest("https://cdn-a.example.net/v/seg-1.m4s"), response: new ArrayBuffer(8), sender: {} });
  dash.trigger("fragmentLoadingCompleted", { request: fragmentRequest("https://failing.example.net/v/seg-2.m4s"), error: { code: 27 }, sender: {} }); // not loaded
  handle.heartbeat();
  handle.detach();
  const last = (await events()).at(-1);
  assert.deepEqual(last.cdn, { name: "cdn-a.example.net", host: "cdn-a.example.net" });
});

test("dash.js: a lost media segment is a non-fatal error; an initialisation segment gone before the first frame is a start failure", async () => {
  const dash = new FakeDash();
  const { video, events } = attach({ dash });
  dash.initialize(video, "https://cdn.example/stream.mpd", true);
  // GIVEN dash.js raising ERROR 27 (a media segment after its retries) then 28 (an init segment)
  dash.trigger("error", { error: { code: 27, message: "https://cdn.example/v/seg-3.m4s is not available", data: {} } });
  dash.trigger("error", { error: { code: 28, message: "https://cdn.example/v/init.mp4 is not available", data: {} } });
  // THEN both are errors with dash.js's code; the second is fatal, with no playhead, and the
  // session ends as an error, not as a viewer who left
  const all = await events();
  assert.deepEqual(ofType(all, "error").map((e) => [e.payload.code, e.payload.fatal, e.payload.playhead_ms]), [
    ["27", false, null],
    ["28", true, null],
  ]);
  assert.equal(ofType(all, "play").length, 0);
  assert.equal(all.at(-1).event_type, "session_end");
  assert.equal(all.at(-1).payload.reason, "error");
});

test("dash.js: its CMCD reports carry the SDK's session id", async () => {
  const dash = new FakeDash();
  dash.updateSettings({ streaming: { cmcd: { enabled: true, version: 2 } } });
  const { handle } = attach({ dash });
  assert.equal(dash.getSettings().streaming.cmcd.sid, handle.sessionId);
  assert.equal(dash.getSettings().streaming.cmcd.enabled, true); // the page's other settings stay
  handle.detach();
});

test("dash.js autoplay: startup runs from the load start, not from the play() dash.js makes once it is ready", async () => {
  const dash = new FakeDash();
  const { video, handle, events } = attach({ dash });
  dash.initialize(video, "https://cdn.example/stream.mpd"); // autoPlay: dash.js's default
  await sleep(80); // the manifest, the init segments, the first media segments
  await startPlaying(video, 5); // dash.js calls play() itself
  handle.detach();
  const play = ofType(await events(), "play")[0];
  assert.ok(play.payload.startup_time_ms >= 80, `startup ${play.payload.startup_time_ms}`);
});

// --- Shaka Player ----------------------------------------------------------------------------------

test("Shaka: adaptation and variantchanged are bitrate changes of the video; the heartbeat reads the active variant", async () => {
  const shaka = new FakeShaka();
  const { video, handle, events } = attach({ shaka });
  await startPlaying(video);
  shaka.fire("adaptation", { oldTrack: shakaTrack(1_200_000), newTrack: shakaTrack(3_000_000) });
  shaka.fire("variantchanged", { oldTrack: shakaTrack(3_000_000), newTrack: shakaTrack(600_000) });
  shaka.tracks = [shakaTrack(3_000_000, 64_000, false), shakaTrack(600_000)];
  shaka.stats.streamBandwidth = 664_000;
  handle.heartbeat();
  shaka.tracks = [{ id: 9, type: "variant", active: true, bandwidth: 900_000, videoBandwidth: null }]; // muxed: one figure
  handle.heartbeat();
  shaka.tracks = [];
  handle.heartbeat(); // unloaded: what getStats says
  handle.detach();
  const all = await events();
  assert.deepEqual(ofType(all, "bitrate_change").map((e) => [e.payload.from_kbps, e.payload.to_kbps]), [[1200, 3000], [3000, 600]]);
  assert.deepEqual(ofType(all, "heartbeat").slice(0, 3).map((e) => e.payload.bitrate_kbps), [600, 900, 664]);
});

test("Shaka: the CDN host comes from segment responses, not the manifest or CMCD requests", async () => {
  const shaka = new FakeShaka();
  const { video, handle, events } = attach({ shaka });
  await startPlaying(video);
  shaka.respond(0, "https://origin.example.org/stream.mpd"); // MANIFEST
  shaka.respond(1, "https://edge-7.cdn.example.com/v/seg-1.m4s"); // SEGMENT
  shaka.respond(9, "https://ingest.example/cmcd"); // CMCD
  handle.heartbeat();
  handle.detach();
  assert.equal((await events()).at(-1).cdn.host, "edge-7.cdn.example.com");
  assert.equal(shaka.filters.size, 0);
});

test("Shaka: a RECOVERABLE error is non-fatal; a CRITICAL one before the first frame is a start failure", async () => {
  const shaka = new FakeShaka();
  const { video, events } = attach({ shaka });
  video.paused = false;
  video.fire("play");
  shaka.fire("error", { detail: shakaError(1, 1, 1001) }); // BAD_HTTP_STATUS, retried
  shaka.fire("error", { detail: shakaError(2, 1, 1001) }); // given up
  const all = await events();
  assert.deepEqual(ofType(all, "error").map((e) => [e.payload.code, e.payload.fatal, e.payload.playhead_ms]), [
    ["1001", false, null],
    ["1001", true, null],
  ]);
  assert.match(ofType(all, "error")[0].payload.message, /1001/);
  assert.equal(all.at(-1).payload.reason, "error");
});

test("Shaka: its CMCD reports carry the SDK's session id, or the SDK takes the one the page configured", async () => {
  const shaka = new FakeShaka();
  const { handle } = attach({ shaka });
  assert.equal(shaka.config.cmcd.sessionId, handle.sessionId);
  handle.detach();
  const configured = new FakeShaka();
  configured.configure("cmcd.sessionId", "0d6e1f6a-3c39-4c1e-9d6f-6a1b8f0e2c44");
  assert.equal(attach({ shaka: configured }).handle.sessionId, "0d6e1f6a-3c39-4c1e-9d6f-6a1b8f0e2c44");
});

test("Shaka: a stall it rides out at playbackRate 0 (buffering, no waiting) is one stall", async () => {
  const shaka = new FakeShaka();
  const { video, handle, events } = attach({ shaka });
  shaka.fire("buffering", { buffering: true }); // the initial load: not a stall
  await startPlaying(video);
  shaka.fire("buffering", { buffering: false });
  await sleep(20);
  shaka.fire("buffering", { buffering: true }); // the buffer runs low: Shaka sets playbackRate 0
  await sleep(50);
  shaka.fire("buffering", { buffering: false });
  handle.heartbeat();
  handle.detach();
  const all = await events();
  const stall = all.filter((e) => e.event_type.startsWith("buffering_") && e.payload.cause === "stall");
  assert.deepEqual(stall.map((e) => e.event_type), ["buffering_start", "buffering_end"]);
  assert.ok(stall[1].payload.duration_ms >= 45, `stall ${stall[1].payload.duration_ms}`);
  assert.ok(ofType(all, "heartbeat")[0].payload.rebuffer_time_ms >= 45);
});

// --- hls.js --------------------------------------------------------------------------------------

test("hls.js: the SDK's session is hls.js's CMCD session; the heartbeat reads the current level", async () => {
  const cmcd = new FakeHls([{ bitrate: 800_000 }, { bitrate: 2_400_000 }], { cmcd: { version: 2 } });
  const { video, handle, events } = attach({ hls: cmcd });
  assert.equal(handle.sessionId, cmcd.sessionId); // hls.js reports `cmcd.sessionId || hls.sessionId`
  await startPlaying(video);
  cmcd.currentLevel = 1;
  handle.heartbeat();
  handle.detach();
  assert.equal(ofType(await events(), "heartbeat")[0].payload.bitrate_kbps, 2400);
  // a session id made before the player, given to both
  const sid = SluiceTelemetry.sessionId();
  const configured = new FakeHls([], { cmcd: { sessionId: sid } });
  assert.equal(attach({ hls: configured }, { sessionId: sid }).handle.sessionId, sid);
  // without CMCD, hls.js's instance id is not taken
  assert.notEqual(attach({ hls: new FakeHls([]) }).handle.sessionId, cmcd.sessionId);
});

test("a session id that is not a UUID is replaced and said so", () => {
  const { handle, problems } = attach({}, { sessionId: "my-session" });
  assert.match(handle.sessionId, /^[0-9a-f-]{36}$/);
  assert.match(String(problems[0]), /not a UUID/);
  handle.detach();
});

// --- video.js (VHS) -----------------------------------------------------------------------------------

test("video.js: a quality level change is a bitrate_change, segment responses give the CDN host", async () => {
  const player = new FakeVideojs();
  player.levels.push({ id: "0", bitrate: 400_000 }, { id: "1", bitrate: 1_200_000 });
  const { video, handle, events } = attach({ videojs: player });
  player.src(); // VHS made: its xhr hooks are ready
  player.selectLevel(0);
  await startPlaying(video);
  player.respond("hls-playlist", "https://origin.example.org/low.m3u8");
  player.respond("segment", "https://edge.cdn.example.com/low/seg-1.ts");
  player.selectLevel(1);
  handle.heartbeat();
  handle.detach();
  const all = await events();
  assert.deepEqual(ofType(all, "bitrate_change").map((e) => [e.payload.from_kbps, e.payload.to_kbps]), [[400, 1200]]);
  assert.equal(ofType(all, "heartbeat")[0].payload.bitrate_kbps, 1200);
  assert.equal(all.at(-1).cdn.host, "edge.cdn.example.com");
  assert.equal(player.tech_.vhs.xhr.hooks.size, 0);
});

test("video.js: a player error before the first frame is a start failure", async () => {
  const player = new FakeVideojs();
  const { video, events } = attach({ videojs: player });
  player.src();
  video.paused = false;
  video.fire("play");
  player.fail(4, "The media could not be loaded, either because the server or network failed or because the format is not supported.");
  const all = await events();
  assert.deepEqual(ofType(all, "error").map((e) => [e.payload.code, e.payload.fatal, e.payload.playhead_ms]), [["4", true, null]]);
  assert.equal(all.at(-1).payload.reason, "error");
});

// --- a plain <video> --------------------------------------------------------------------------------

test("a plain autoplaying <video> MP4: startup runs from loadstart to the first playing, not from its late play event", async () => {
  const video = new FakeVideo();
  video.autoplay = true;
  const { handle, events } = attach({}, { video });
  video.load("https://media.example.com/movie.mp4");
  await sleep(60); // the browser buffers; its autoplay then fires play and playing back to back
  await startPlaying(video);
  handle.heartbeat();
  handle.detach();
  const all = await events();
  const play = ofType(all, "play")[0];
  assert.ok(play.payload.startup_time_ms >= 55, `startup ${play.payload.startup_time_ms}`);
  assert.equal(ofType(all, "buffering_end")[0].payload.duration_ms, play.payload.startup_time_ms);
  assert.equal(all[0].payload.autoplay, true);
  assert.deepEqual(all.at(-1).cdn, { name: "media.example.com", host: "media.example.com" });
  assert.equal(ofType(all, "heartbeat")[0].payload.bitrate_kbps, 0); // the element does not expose one
  // a MediaSource's blob: URL is no CDN host
  const mse = attach();
  mse.video.load("blob:https://page.example/8f2e");
  mse.handle.detach();
  assert.deepEqual((await mse.events()).at(-1).cdn, { name: "unknown", host: null });
});

test("a plain <video> the viewer starts: startup runs from play() to the first playing; attached while autoplay loads, from the attach", async () => {
  const clicked = attach();
  clicked.video.load("https://media.example.com/movie.mp4"); // preload: no autoplay, nothing asked yet
  await sleep(40);
  await startPlaying(clicked.video, 30);
  clicked.handle.detach();
  const startup = ofType(await clicked.events(), "play")[0].payload.startup_time_ms;
  assert.ok(startup >= 25 && startup < 40, `startup ${startup}`);

  const late = new FakeVideo();
  late.autoplay = true;
  late.load("https://media.example.com/movie.mp4"); // loading before the SDK is attached
  const attachedLate = attach({}, { video: late });
  await sleep(40);
  await startPlaying(late);
  attachedLate.handle.detach();
  const lateStartup = ofType(await attachedLate.events(), "play")[0].payload.startup_time_ms;
  assert.ok(lateStartup >= 35, `startup ${lateStartup}`);
});

// --- players Sluice does not know ------------------------------------------------------------------

test("reportError: a player's own error, non-fatal then fatal before the first frame (a start failure)", async () => {
  const { video, handle, events } = attach();
  video.paused = false;
  video.fire("play");
  handle.reportError(new Error("segment 3 timed out"), { code: "SEG_TIMEOUT" });
  handle.reportError({ code: 4001, message: "no playable source" }, { fatal: true });
  handle.reportError("after the end: ignored", { fatal: true });
  const all = await events();
  assert.deepEqual(ofType(all, "error").map((e) => [e.payload.code, e.payload.message, e.payload.fatal, e.payload.playhead_ms]), [
    ["SEG_TIMEOUT", "segment 3 timed out", false, null],
    ["4001", "no playable source", true, null],
  ]);
  assert.deepEqual(ofType(all, "session_end").map((e) => e.payload.reason), ["error"]);
});

test("reportError after the first frame carries the playhead", async () => {
  const { video, handle, events } = attach();
  await startPlaying(video);
  video.currentTime = 12.5;
  handle.reportError(new TypeError("decoder hiccup"));
  handle.detach();
  const [error] = ofType(await events(), "error");
  assert.deepEqual([error.payload.code, error.payload.fatal, error.payload.playhead_ms], ["TypeError", false, 12500]);
});
