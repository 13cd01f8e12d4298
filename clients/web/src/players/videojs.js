// video.js 8 (VHS): the player's `error`, its quality levels (the bundled quality-levels plugin)
// and VHS's xhr response hooks. The SDK watches video.js's <video> (player.tech().el()) for the
// rest, as for a plain element.
import { kbps } from "./units.js";

const SEGMENTS = new Set(["segment", "segment-media-initialization"]); // VHS's requestType of media

export function watchVideojs(player, session) {
  const on = (target, name, handler) => {
    const listener = (event) => session.safely(() => handler(event ?? {}));
    target.on(name, listener);
    session.hook(() => target.off?.(name, listener));
  };
  // A video.js error is the end of playback: the player shows its error display.
  on(player, "error", () => {
    const error = player.error?.() ?? {};
    session.error(String(error.code ?? "VIDEOJS_ERROR"), String(error.message || `video.js error ${error.code}`), true);
  });
  const levels = player.qualityLevels?.();
  const selected = () => levels?.[levels.selectedIndex];
  // 'change' comes when VHS picks another playlist (its media change), the switch as VHS makes it.
  if (levels?.on) on(levels, "change", () => session.rendition(kbps(selected()?.bitrate)));
  // VHS builds its xhr (and says so with 'xhr-hooks-ready') when a source is set: hook it then.
  const hookResponses = () => {
    const xhr = player.tech?.({ IWillNotUseThisInPlugins: true })?.vhs?.xhr;
    if (!xhr?.onResponse) return;
    const hook = (request, error) => {
      session.safely(() => !error && SEGMENTS.has(request?.requestType) && session.mediaRequest(request.uri));
    };
    xhr.onResponse(hook);
    session.hook(() => xhr.offResponse?.(hook));
  };
  on(player, "xhr-hooks-ready", hookResponses);
  hookResponses(); // a source already playing
  return {
    cmcdSessionId: () => null, // video.js has no CMCD reporting of its own
    joinCmcd: () => {},
    bitrateKbps: () => kbps(selected()?.bitrate),
    autoplays: () => false, // video.js autoplay is the element's attribute or its own play()
  };
}
