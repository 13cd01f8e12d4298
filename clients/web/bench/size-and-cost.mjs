// `npm run bench`: the SDK's minified and gzipped size, and its CPU cost per heartbeat (the
// work a page pays every 10 s while a video plays: build the event, clip, queue, serialise).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

import { SluiceTelemetry } from "../src/sluice.js";
import { FakeVideo } from "../test/fakes.js";

const minified = readFileSync(new URL("../dist/sluice.min.js", import.meta.url));
console.log(`sdk size            ${(minified.length / 1024).toFixed(1)} KB minified, ${(gzipSync(minified).length / 1024).toFixed(1)} KB gzipped`);

const video = new FakeVideo();
let sent = 0;
const handle = SluiceTelemetry.attach(video, {
  endpoint: "https://ingest.example/events",
  player: { name: "bench", version: "1" },
  content: { id: "movie-1" },
  heartbeatIntervalMs: 3_600_000,
  flushIntervalMs: 3_600_000,
  batchSize: 10,
  fetch: async (_url, init) => {
    sent += init.body.length;
    return { status: 200, headers: { get: () => null }, json: async () => ({}) };
  },
});
video.paused = false;
video.fire("play");
video.fire("playing");
const rounds = 20_000;
const started = process.hrtime.bigint();
for (let i = 0; i < rounds; i += 1) {
  video.currentTime += 10;
  handle.heartbeat(); // what the heartbeat timer runs; every 10th fills a batch that is sent
}
const heartbeatNs = Number(process.hrtime.bigint() - started) / rounds;
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`heartbeat cpu       ${(heartbeatNs / 1000).toFixed(1)} us per heartbeat, batching and JSON included (${rounds} heartbeats, ${(sent / 1024).toFixed(0)} KB sent)`);
handle.detach();
