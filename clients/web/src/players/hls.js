// hls.js (1.x): its events, by the names `Hls.Events` gives them (LEVEL_SWITCHED, ERROR, FRAG_LOADED).
import { kbps } from "./units.js";

const EVENTS = { levelSwitched: "hlsLevelSwitched", error: "hlsError", fragLoaded: "hlsFragLoaded" };

export function watchHls(hls, session) {
  const on = (name, handler) => {
    const listener = (_event, data) => session.safely(() => handler(data ?? {}));
    hls.on(name, listener);
    session.hook(() => hls.off?.(name, listener));
  };
  on(EVENTS.levelSwitched, (data) => session.rendition(kbps(hls.levels?.[data.level]?.bitrate)));
  on(EVENTS.error, (data) =>
    session.error(
      String(data.details || data.type || "HLS_ERROR"),
      String(data.reason || data.error?.message || data.details || "hls.js error"),
      Boolean(data.fatal),
    ),
  );
  on(EVENTS.fragLoaded, (data) => session.mediaRequest(data.frag?.url));
  return {
    // hls.js reads config.cmcd when it is constructed and then reports with
    // `cmcd.sessionId || hls.sessionId`: the SDK takes that id, so both land in one session.
    cmcdSessionId: () => (hls.config?.cmcd ? hls.config.cmcd.sessionId || hls.sessionId : null),
    joinCmcd: () => {}, // too late to change: hls.js built its CMCD reporter in its constructor
    bitrateKbps: () => kbps(hls.levels?.[hls.currentLevel]?.bitrate),
    autoplays: () => false, // hls.js never starts playback itself: the page's play() or autoplay does
  };
}
