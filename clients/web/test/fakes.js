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
    this.currentSrc = "";
    this.networkState = 0; // NETWORK_EMPTY
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
  // What the element does when it is given a source: loadstart, as a browser queues it.
  load(src) {
    this.currentSrc = src;
    this.networkState = 2; // NETWORK_LOADING
    this.fire("loadstart");
  }
}

// hls.js's event interface, as far as the SDK uses it (listeners get (event name, data)).
export class FakeHls {
  constructor(levels, config = {}) {
    this.levels = levels;
    this.config = config;
    this.currentLevel = -1;
    this.sessionId = "5b1c1a9e-4f7e-4a53-9d0b-2f0d8c6f4b11"; // hls.js: a UUID per instance
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

// dash.js 5's MediaPlayer as far as the SDK uses it: on/off(type, listener) with the payload
// (plus its type) as the one argument, settings merged by updateSettings, the current video
// representation (which throws until streaming is initialised), autoPlay true by default.
export class FakeDash {
  constructor() {
    this.handlers = new Map();
    this.settings = { streaming: { cmcd: { enabled: false, sid: null, version: 1 } } };
    this.autoPlay = true;
    this.representation = null;
    this.video = null;
  }
  on(type, listener) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  off(type, listener) {
    this.handlers.set(type, (this.handlers.get(type) ?? []).filter((h) => h !== listener));
  }
  trigger(type, payload) {
    for (const listener of this.handlers.get(type) ?? []) listener({ ...payload, type });
  }
  listenerCount() {
    return [...this.handlers.values()].reduce((n, list) => n + list.length, 0);
  }
  getSettings() {
    return this.settings;
  }
  updateSettings(update) {
    const merge = (into, from) => {
      for (const [key, value] of Object.entries(from)) {
        if (value && typeof value === "object" && !Array.isArray(value)) merge((into[key] ??= {}), value);
        else into[key] = value;
      }
    };
    merge(this.settings, update);
  }
  initialize(video, url, autoPlay = true) {
    this.video = video;
    this.autoPlay = autoPlay;
    video.load("blob:https://page.example/3c1d"); // dash.js plays through a MediaSource
  }
  getAutoPlay() {
    return this.autoPlay;
  }
  getCurrentRepresentationForType(type) {
    if (!this.representation) throw new Error("You must first call initialize() and set a source before calling this method");
    return type === "video" ? this.representation : null;
  }
}

// dash.js representations (bandwidth in bits/s) and a FragmentRequest, as its events carry them.
export const representation = (bandwidth, id = String(bandwidth)) => ({ id, bandwidth, bitrateInKbit: bandwidth / 1000 });
export const fragmentRequest = (url, mediaType = "video") => ({ url, mediaType, type: "MediaSegment", serviceLocation: new URL(url).origin });

// Shaka Player 5 as far as the SDK uses it: a FakeEventTarget whose events carry their data as
// properties (shaka.util.FakeEvent copies its Map in), a networking engine with response filters
// called (type, response), getStats(), configure(path, value) and getConfiguration().
export class FakeShaka extends EventTarget {
  constructor() {
    super();
    this.config = { cmcd: { enabled: false, sessionId: "", version: 1 } };
    this.stats = { streamBandwidth: NaN, estimatedBandwidth: NaN };
    this.assetUri = null;
    const filters = (this.filters = new Set());
    this.engine = {
      registerResponseFilter: (filter) => filters.add(filter),
      unregisterResponseFilter: (filter) => filters.delete(filter),
    };
  }
  fire(type, data = {}) {
    this.dispatchEvent(Object.assign(new Event(type), data));
  }
  respond(type, uri) {
    for (const filter of this.filters) filter(type, { uri, originalUri: uri, data: new ArrayBuffer(8), headers: {} });
  }
  getNetworkingEngine() {
    return this.engine;
  }
  getStats() {
    return { ...this.stats };
  }
  getVariantTracks() {
    return this.tracks ?? [];
  }
  getAssetUri() {
    return this.assetUri;
  }
  configure(path, value) {
    if (typeof path !== "string") throw new Error("only configure(path, value) in this fake");
    const keys = path.split(".");
    let at = this.config;
    for (const key of keys.slice(0, -1)) at = at[key] ??= {};
    at[keys.at(-1)] = value;
    return true;
  }
  getConfiguration() {
    return structuredClone(this.config);
  }
}

// shaka.util.Error as the compiled build exports it: severity, category, code, data (no message).
export const shakaError = (severity, category, code) => ({ severity, category, code, data: [], handled: false });
// A variant track: bandwidth is the variant's (video and audio), videoBandwidth the video's.
export const shakaTrack = (videoBandwidth, audioBandwidth = 64_000, active = true) => ({
  id: videoBandwidth, type: "variant", active, bandwidth: videoBandwidth + audioBandwidth, videoBandwidth, audioBandwidth,
});

// video.js 8 as far as the SDK uses it: on/off/trigger, error() (a MediaError-like {code,
// message}), qualityLevels() (a list with selectedIndex that triggers 'change'), and VHS's xhr
// with onResponse hooks called (request, error, response), made when a source is set
// ('xhr-hooks-ready'); request.requestType is VHS's ('segment', 'hls-playlist', ...).
class FakeEmitter {
  constructor() {
    this.handlers = new Map();
  }
  on(name, handler) {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
  }
  off(name, handler) {
    this.handlers.set(name, (this.handlers.get(name) ?? []).filter((h) => h !== handler));
  }
  trigger(name, data = {}) {
    for (const handler of this.handlers.get(name) ?? []) handler({ type: name, ...data });
  }
}

export class FakeVideojs extends FakeEmitter {
  constructor() {
    super();
    this.currentError = null;
    this.levels = Object.assign([], new FakeEmitter(), { selectedIndex: -1 });
    for (const key of ["on", "off", "trigger"]) this.levels[key] = FakeEmitter.prototype[key].bind(this.levels);
    this.tech_ = null;
  }
  error() {
    return this.currentError;
  }
  qualityLevels() {
    return this.levels;
  }
  tech(safety) {
    if (!safety) throw new Error("video.js warns: using the tech directly can be dangerous");
    return this.tech_;
  }
  src() {
    const hooks = new Set();
    const xhr = { hooks, onResponse: (f) => hooks.add(f), offResponse: (f) => hooks.delete(f) };
    this.tech_ = { vhs: { xhr } };
    this.trigger("xhr-hooks-ready");
  }
  respond(requestType, uri, error = null) {
    for (const hook of this.tech_.vhs.xhr.hooks) hook({ uri, requestType }, error, { statusCode: error ? 500 : 200 });
  }
  selectLevel(index) {
    this.levels.selectedIndex = index;
    this.levels.trigger("change", { selectedIndex: index });
  }
  fail(code, message) {
    this.currentError = { code, message };
    this.trigger("error");
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
