// Sluice's web player SDK: observes an HTMLVideoElement (and, when given, the hls.js, dash.js or
// Shaka player that feeds it) and sends the event contract's events to Sluice's ingest. No
// dependencies; never throws into the page.
//
//   const telemetry = SluiceTelemetry.attach(video, {
//     endpoint: "https://<ingest>/events?key=<write key>",
//     player: { name: "my-player", version: "1.0.0" },
//     content: { id: "movie-1", title: "A movie", duration_ms: 5400000, live: false },
//     hls, // or dash (a dash.js MediaPlayer), shaka (a shaka.Player), videojs (a video.js player)
//   });
//   telemetry.reportError(error, { fatal: true, code: "E42" }); // a player Sluice does not know
//   telemetry.detach();

import { STRING_LIMITS } from "./contract.generated.js";
import { Delivery } from "./delivery.js";
import { DELIVERY } from "./delivery.generated.js";
import { watchDash } from "./players/dash.js";
import { watchHls } from "./players/hls.js";
import { watchShaka } from "./players/shaka.js";
import { watchVideojs } from "./players/videojs.js";

const MEDIA_ERRORS = ["", "MEDIA_ERR_ABORTED", "MEDIA_ERR_NETWORK", "MEDIA_ERR_DECODE", "MEDIA_ERR_SRC_NOT_SUPPORTED"];

const UTF8 = new TextEncoder();

// String bounds from the contract (UTF-8 bytes), so no field the SDK fills is refused at ingest.
function clip(value, path) {
  if (value == null) return null;
  const text = String(value);
  const limit = STRING_LIMITS[path];
  if (!limit || text.length * 3 <= limit) return text;
  let out = "";
  let bytes = 0;
  for (const character of text) {
    bytes += UTF8.encode(character).length;
    if (bytes > limit) break;
    out += character;
  }
  return out;
}

const ms = (seconds) => Math.max(0, Math.round((Number.isFinite(seconds) ? seconds : 0) * 1000));
const uuid = () =>
  globalThis.crypto?.randomUUID?.() ??
  "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (Math.random() * 16) >> (c / 4)).toString(16));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i; // the contract's session_id

// The host of an absolute http(s) URL; null for blob: (MSE), data: and relative ones.
function hostOf(url) {
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

// The element alone: what a plain <video> (or a player Sluice has no adapter for) shows.
const ELEMENT_ONLY = { cmcdSessionId: () => null, joinCmcd() {}, bitrateKbps: () => null, autoplays: () => false };

function watchPlayer(options, session) {
  if (options.dash) return watchDash(options.dash, session);
  if (options.shaka) return watchShaka(options.shaka, session);
  if (options.hls) return watchHls(options.hls, session);
  if (options.videojs) return watchVideojs(options.videojs, session);
  return ELEMENT_ONLY;
}

class Session {
  constructor(video, options) {
    if (!video?.addEventListener) throw new TypeError("SluiceTelemetry.attach needs a video element");
    this.video = video;
    this.options = options;
    this.listeners = []; // each an unsubscribe function, run at detach
    this.delivery = options.delivery ?? new Delivery(options.endpoint, options);
    this.sequence = 0;
    this.started = false; // the first frame was shown
    this.ended = false;
    this.requestedAt = null; // when playback was asked for: startup time runs from here
    this.stallStartedAt = null; // the stall's start, for its buffering_end
    this.stallCountedTo = null; // how far its time is in a heartbeat's rebuffer_time_ms
    this.seekFrom = null;
    this.lastPlayhead = 0;
    this.interval = { at: performance.now(), watch: 0, rebuffer: 0, dropped: this.droppedFrames() };
    this.watchTotal = 0;
    this.playingSince = null;
    this.bitrate = 0; // the rendition's kbps, as its last switch said
    this.cdnHost = options.cdn?.host ?? hostOf(video.currentSrc);
    this.fatal = false;
    this.player = watchPlayer(options, this);
    this.sessionId = this.chooseSessionId();
    this.player.joinCmcd(this.sessionId);

    this.emit("session_start", {
      autoplay: Boolean(video.autoplay), // dash.js's own autoPlay is only known once it is initialised
      page_url: clip(globalThis.location?.href, "page_url"),
      referrer: clip(globalThis.document?.referrer || null, "referrer"),
    });
    this.listen(video, "loadstart", () => this.onLoadStart());
    this.listen(video, "play", () => this.onPlayRequested());
    this.listen(video, "playing", () => this.onPlaying());
    this.listen(video, "pause", () => this.onPause());
    this.listen(video, "waiting", () => this.onWaiting());
    this.listen(video, "seeking", () => (this.seekFrom = this.lastPlayhead));
    this.listen(video, "seeked", () => this.onSeeked());
    this.listen(video, "timeupdate", () => (this.seekFrom === null ? (this.lastPlayhead = ms(video.currentTime)) : null));
    this.listen(video, "error", () => this.onMediaError());
    this.listen(video, "ended", () => this.end("completed"));
    const exit = () => this.end("user_exit");
    const page = options.window ?? globalThis;
    const doc = options.document ?? globalThis.document;
    this.listen(page, "pagehide", exit);
    this.listen(doc, "visibilitychange", () => doc?.visibilityState === "hidden" && exit());
    this.heartbeat = setInterval(() => this.safely(() => this.onHeartbeat()), options.heartbeatIntervalMs ?? DELIVERY.heartbeatIntervalMs);
    // Attached late: playback already asked for, or an autoplaying element already loading.
    const loading = video.networkState === 1 || video.networkState === 2; // NETWORK_IDLE, NETWORK_LOADING
    if (!video.paused || (loading && this.autoplays())) this.onPlayRequested();
  }

  // The page's id (SluiceTelemetry.sessionId(), made before the player), else the id the player's
  // own CMCD reports carry, else a new one: one id for both, so they land in one session.
  chooseSessionId() {
    for (const [from, id] of [["sessionId", this.options.sessionId], ["the player's CMCD session id", this.player.cmcdSessionId()]]) {
      if (id == null || id === "") continue;
      if (UUID.test(String(id))) return String(id); // as the player sends it, case and all
      this.options.onError?.(new TypeError(`SluiceTelemetry: ${from} ${id} is not a UUID; using a new session id`));
    }
    return uuid();
  }

  // --- the page's events -------------------------------------------------------------------
  listen(target, name, handler) {
    if (!target?.addEventListener) return;
    const safe = () => this.safely(handler);
    target.addEventListener(name, safe);
    this.hook(() => target.removeEventListener?.(name, safe));
  }

  hook(unsubscribe) {
    this.listeners.push(unsubscribe);
  }

  safely(work) {
    try {
      work();
    } catch (error) {
      this.options.onError?.(error); // never into the page
    }
  }

  autoplays() {
    return Boolean(this.video.autoplay) || this.player.autoplays();
  }

  // An autoplaying element (or player) asks for playback when it starts loading: its `play`
  // event only comes once enough is buffered, right before `playing` (an MP4 read 0 ms).
  onLoadStart() {
    this.cdnHost = this.options.cdn?.host ?? hostOf(this.video.currentSrc) ?? this.cdnHost;
    if (this.autoplays()) this.onPlayRequested();
  }

  onPlayRequested() {
    if (this.started || this.requestedAt !== null) return;
    this.requestedAt = performance.now();
    this.emit("buffering_start", { playhead_ms: this.playhead(), cause: "initial" });
  }

  onPlaying() {
    const now = performance.now();
    if (!this.started) {
      this.started = true;
      const requested = this.requestedAt ?? now;
      const startup = Math.round(now - requested);
      this.emit("buffering_end", { playhead_ms: this.playhead(), cause: "initial", duration_ms: startup });
      this.emit("play", { playhead_ms: this.playhead(), initial: true, startup_time_ms: startup });
    } else if (this.stallStartedAt !== null) {
      this.onStallEnd();
    } else if (this.playingSince === null) {
      this.emit("play", { playhead_ms: this.playhead(), initial: false, startup_time_ms: null });
    }
    this.playingSince = now;
  }

  onPause() {
    if (this.video.ended || this.ended) return;
    this.countWatch();
    this.playingSince = null;
    if (this.started && !this.video.seeking) this.emit("pause", { playhead_ms: this.playhead() });
  }

  // A stall, not a seek or the initial load.
  onWaiting() {
    if (!this.started || this.video.seeking || this.seekFrom !== null || this.stallStartedAt !== null) return;
    this.countWatch();
    this.playingSince = null;
    this.stallStartedAt = this.stallCountedTo = performance.now();
    this.emit("buffering_start", { playhead_ms: this.playhead(), cause: "stall" });
  }

  // The element's playing after a stall, or a player that rides a stall out without one (Shaka
  // holds playbackRate at 0: no waiting, no playing, only its own buffering events).
  onStallEnd() {
    if (this.stallStartedAt === null) return;
    const now = performance.now();
    this.interval.rebuffer += now - this.stallCountedTo;
    const stalled = Math.round(now - this.stallStartedAt);
    this.stallStartedAt = this.stallCountedTo = null;
    this.emit("buffering_end", { playhead_ms: this.playhead(), cause: "stall", duration_ms: stalled });
    if (!this.video.paused) this.playingSince = now;
  }

  onSeeked() {
    const from = this.seekFrom ?? this.lastPlayhead;
    this.seekFrom = null;
    this.lastPlayhead = this.playhead();
    this.emit("seek", { from_ms: from, to_ms: this.lastPlayhead });
  }

  onMediaError() {
    const error = this.video.error;
    const code = MEDIA_ERRORS[error?.code ?? 0] || "MEDIA_ERR_UNKNOWN";
    this.error(code, error?.message || code, true);
  }

  onHeartbeat() {
    if (this.ended || (!this.started && this.requestedAt === null)) return;
    this.countWatch();
    const now = performance.now();
    if (this.stallStartedAt !== null) {
      this.interval.rebuffer += now - this.stallCountedTo; // a long stall spans heartbeats
      this.stallCountedTo = now;
    }
    const dropped = this.droppedFrames();
    this.emit("heartbeat", {
      playhead_ms: this.playhead(),
      bitrate_kbps: this.player.bitrateKbps() ?? this.bitrate,
      buffer_length_ms: this.bufferLength(),
      dropped_frames: Math.max(0, dropped - this.interval.dropped),
      watch_time_ms: Math.round(this.interval.watch),
      rebuffer_time_ms: Math.round(this.interval.rebuffer),
      interval_ms: Math.round(now - this.interval.at),
      frame_rate: null,
    });
    this.interval = { at: now, watch: 0, rebuffer: 0, dropped };
  }

  // --- what the player adapters report (players/*.js) ----------------------------------------
  // A rendition switch: a bitrate_change once the rendition it leaves is known.
  rendition(toKbps, fromKbps = null) {
    if (toKbps === null) return;
    const from = fromKbps ?? this.bitrate;
    if (from && toKbps !== from) {
      this.emit("bitrate_change", { playhead_ms: this.playhead(), from_kbps: from, to_kbps: toKbps });
    }
    this.bitrate = toKbps;
  }

  // A media segment's URL: its host is the CDN the viewer is served from.
  mediaRequest(url) {
    if (this.options.cdn?.host) return;
    this.cdnHost = hostOf(url) ?? this.cdnHost;
  }

  // Fatal before the first frame: an error with no playhead, then session_end "error" (a start
  // failure, not a viewer who left).
  error(code, message, fatal) {
    if (this.ended) return;
    this.emit("error", { code: clip(code, "code"), message: clip(message, "message"), fatal, playhead_ms: this.started ? this.playhead() : null });
    if (fatal) {
      this.fatal = true;
      this.end("error");
    }
  }

  // --- the end -------------------------------------------------------------------------------
  end(reason) {
    if (this.ended) return;
    this.delivery.hold(); // the last heartbeat and session_end go with the exit flush, not a plain fetch
    this.countWatch();
    this.onHeartbeat();
    this.emit("session_end", { reason: this.fatal ? "error" : reason, playhead_ms: this.playhead(), watch_time_ms: Math.round(this.watchTotal) });
    this.ended = true;
    this.detach(true);
  }

  detach(ending = false) {
    if (!ending && !this.ended) return this.end("user_exit");
    clearInterval(this.heartbeat);
    for (const unsubscribe of this.listeners.splice(0)) this.safely(unsubscribe);
    this.delivery.flushAtExit();
  }

  // --- the contract ----------------------------------------------------------------------------
  emit(eventType, payload) {
    const o = this.options;
    this.delivery.push({
      event_id: uuid(),
      event_type: eventType,
      session_id: this.sessionId,
      sequence: this.sequence++,
      client_time: new Date().toISOString(),
      player: { name: clip(o.player?.name ?? "sluice-web", "player.name"), version: clip(o.player?.version ?? "0", "player.version") },
      device: {
        id: clip(o.device?.id ?? null, "device.id"),
        type: clip(o.device?.type ?? null, "device.type"),
        model: clip(o.device?.model ?? null, "device.model"),
        screen_width: globalThis.screen?.width ?? null,
        screen_height: globalThis.screen?.height ?? null,
      },
      content: {
        id: clip(o.content?.id ?? "unknown", "content.id"),
        title: clip(o.content?.title ?? null, "content.title"),
        duration_ms: o.content?.duration_ms ?? null,
        live: Boolean(o.content?.live),
      },
      cdn: { name: clip(o.cdn?.name ?? this.cdnHost ?? "unknown", "cdn.name"), host: clip(this.cdnHost, "cdn.host") },
      payload,
    });
  }

  countWatch() {
    if (this.playingSince === null) return;
    const now = performance.now();
    this.interval.watch += now - this.playingSince;
    this.watchTotal += now - this.playingSince;
    this.playingSince = now;
  }

  playhead() {
    return ms(this.video.currentTime);
  }

  bufferLength() {
    const { buffered, currentTime } = this.video;
    for (let i = 0; i < (buffered?.length ?? 0); i += 1) {
      if (buffered.start(i) <= currentTime && currentTime <= buffered.end(i)) return ms(buffered.end(i) - currentTime);
    }
    return 0;
  }

  droppedFrames() {
    return this.video.getVideoPlaybackQuality?.().droppedVideoFrames ?? 0;
  }
}

export const SluiceTelemetry = {
  /** A new session id: give it to a player's CMCD configuration and to `attach` as `sessionId`. */
  sessionId: () => uuid(),

  /** Starts a session on `video`; the handle's `detach()` ends it (session_end) and flushes. */
  attach(video, options) {
    try {
      const session = new Session(video, options);
      return {
        sessionId: session.sessionId,
        detach: () => session.safely(() => session.detach()),
        heartbeat: () => session.safely(() => session.onHeartbeat()), // one now (tests, benchmarks)
        // A player Sluice has no adapter for: its error, with its code; fatal ends the session.
        reportError: (error, { fatal = false, code } = {}) =>
          session.safely(() => {
            const message = error?.message ?? (error == null ? "" : String(error));
            const name = code ?? error?.code ?? error?.name ?? "PLAYER_ERROR";
            session.error(String(name), message || String(name), Boolean(fatal));
          }),
        delivery: session.delivery,
      };
    } catch (error) {
      options?.onError?.(error);
      return { sessionId: null, detach() {}, heartbeat() {}, reportError() {}, delivery: null };
    }
  },
};

if (typeof window !== "undefined") window.SluiceTelemetry = SluiceTelemetry;
