// dash.js (5.x MediaPlayer): events by the names `dashjs.MediaPlayer.events` gives them.
import { kbps } from "./units.js";

const EVENTS = { qualityRendered: "qualityChangeRendered", error: "error", fragmentLoaded: "fragmentLoadingCompleted" };

// dash.js's ERROR event does not say whether playback can go on. These codes (dash.js
// src/core/errors/Errors.js) are the ones after which it stops: the manifest cannot be loaded or
// parsed, no stream or codec can play, an initialisation segment is gone after its retries. A
// media segment (27) is retried and scheduled again, and a refused CMCD report is raised as 27 too.
const FATAL_CODES = new Set([
  10, // MANIFEST_LOADER_PARSING_FAILURE
  11, // MANIFEST_LOADER_LOADING_FAILURE
  23, // CAPABILITY_MEDIASOURCE
  24, // CAPABILITY_MEDIAKEYS
  25, // DOWNLOAD_ERROR_ID_MANIFEST
  26, // DOWNLOAD_ERROR_ID_SIDX
  28, // DOWNLOAD_ERROR_ID_INITIALIZATION
  31, // MANIFEST_ERROR_ID_PARSE
  32, // MANIFEST_ERROR_ID_NOSTREAMS
  34, // MANIFEST_ERROR_ID_MULTIPLEXED
  35, // MEDIASOURCE_TYPE_UNSUPPORTED
  36, // NO_SUPPORTED_KEY_IDS
]);

export function watchDash(dash, session) {
  const on = (name, handler) => {
    const listener = (event) => session.safely(() => handler(event ?? {}));
    dash.on(name, listener);
    session.hook(() => dash.off?.(name, listener));
  };
  on(EVENTS.qualityRendered, (event) => {
    if (event.mediaType === "video") {
      session.rendition(kbps(event.newRepresentation?.bandwidth), kbps(event.oldRepresentation?.bandwidth));
    }
  });
  on(EVENTS.error, (event) => {
    const error = event.error ?? {};
    const code = error.code ?? "DASHJS_ERROR";
    session.error(String(code), String(error.message || `dash.js error ${code}`), FATAL_CODES.has(error.code));
  });
  on(EVENTS.fragmentLoaded, (event) => {
    if (!event.error) session.mediaRequest(event.request?.url);
  });
  return {
    cmcdSessionId: () => dash.getSettings?.()?.streaming?.cmcd?.sid ?? null,
    joinCmcd: (sid) => dash.updateSettings?.({ streaming: { cmcd: { sid } } }),
    bitrateKbps: () => {
      try {
        return kbps(dash.getCurrentRepresentationForType?.("video")?.bandwidth);
      } catch {
        return null; // it throws until streaming is initialised
      }
    },
    // dash.js calls play() itself once the stream is ready (initialize(video, url, autoPlay),
    // autoPlay true by default): the request is the load start, not that late play event.
    autoplays: () => dash.getAutoPlay?.() === true,
  };
}
