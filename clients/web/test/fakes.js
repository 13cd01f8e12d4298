// A stand-in HTMLVideoElement for unit tests (the real one is driven in tests/e2e-style browser
// tests): the properties and events the SDK reads, moved by the test.
export class FakeVideo extends EventTarget {
  constructor() {
    super();
    this.currentTime = 0;
    this.paused = true;
    this.seeking = false;
    this.ended = false;
    this.autoplay = false;
    this.error = null;
    this.ranges = [[0, 0]];
    this.dropped = 0;
  }
  get buffered() {
    const ranges = this.ranges;
    return { length: ranges.length, start: (i) => ranges[i][0], end: (i) => ranges[i][1] };
  }
  getVideoPlaybackQuality() {
    return { droppedVideoFrames: this.dropped };
  }
  fire(name) {
    this.dispatchEvent(new Event(name));
  }
}

// hls.js's event interface, as far as the SDK uses it.
export class FakeHls {
  constructor(levels) {
    this.levels = levels;
    this.handlers = new Map();
  }
  on(name, handler) {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
  }
  off(name, handler) {
    this.handlers.set(name, (this.handlers.get(name) ?? []).filter((h) => h !== handler));
  }
  trigger(name, data) {
    for (const handler of this.handlers.get(name) ?? []) handler(name, data);
  }
}

// fetch as ingest answers it: each request's events recorded; `answers` scripts the replies.
export function fakeIngest(answers = []) {
  const requests = [];
  const fetch = async (url, init) => {
    const events = JSON.parse(init.body);
    requests.push({ url, init, events });
    const answer = answers.shift() ?? { status: 200, body: { accepted: events.length, rejected: [] } };
    return {
      status: answer.status,
      headers: { get: (name) => (answer.headers ?? {})[name.toLowerCase()] ?? null },
      json: async () => answer.body ?? {},
    };
  };
  return { fetch, requests, events: () => requests.flatMap((r) => r.events) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits for a condition (a retry's jittered backoff is random, up to a few seconds).
export async function until(condition, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}
