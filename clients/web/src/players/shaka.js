// Shaka Player (5.x, compiled build): its events ('adaptation', 'variantchanged', 'error') and
// exported methods only, so the minified build users ship reads the same as the debug one.
import { kbps } from "./units.js";

const CRITICAL = 2; // shaka.util.Error.Severity.CRITICAL: playback stopped
const SEGMENT = 1; // shaka.net.NetworkingEngine.RequestType.SEGMENT

export function watchShaka(shaka, session) {
  const on = (name, handler) => {
    const listener = (event) => session.safely(() => handler(event ?? {}));
    shaka.addEventListener(name, listener);
    session.hook(() => shaka.removeEventListener?.(name, listener));
  };
  // The video's bitrate, as dash.js's video representation gives it (a variant's bandwidth adds
  // its audio): the track's videoBandwidth, else the variant's.
  const video = (track) => kbps(track?.videoBandwidth) ?? kbps(track?.bandwidth);
  // 'adaptation' is the ABR's switch, 'variantchanged' the application's: both change the rendition.
  const switched = (event) => session.rendition(video(event.newTrack), video(event.oldTrack));
  on("adaptation", switched);
  on("variantchanged", switched);
  on("error", (event) => {
    const { code, category, severity, message } = event.detail ?? {};
    session.error(
      String(code ?? "SHAKA_ERROR"),
      String(message || `Shaka Player error ${code} (category ${category}, severity ${severity})`),
      severity === CRITICAL,
    );
  });
  // Shaka rides out a stall at playbackRate 0: the element fires no waiting (and no playing after
  // it), so a stall is Shaka's 'buffering' once the first frame is shown.
  on("buffering", (event) => (event.buffering ? session.onWaiting() : session.onStallEnd()));
  const engine = shaka.getNetworkingEngine?.();
  if (engine?.registerResponseFilter) {
    const filter = (type, response) => {
      session.safely(() => type === SEGMENT && session.mediaRequest(response?.uri));
    };
    engine.registerResponseFilter(filter);
    session.hook(() => engine.unregisterResponseFilter?.(filter));
  }
  // Until a segment arrives (or without a networking engine): the host of the manifest.
  on("loaded", () => session.cdnHost ?? session.mediaRequest(shaka.getAssetUri?.()));
  return {
    cmcdSessionId: () => shaka.getConfiguration?.()?.cmcd?.sessionId || null,
    joinCmcd: (sid) => shaka.configure?.("cmcd.sessionId", sid),
    bitrateKbps: () => video(shaka.getVariantTracks?.().find((track) => track.active)) ?? kbps(shaka.getStats?.()?.streamBandwidth),
    autoplays: () => false, // Shaka plays when the element's autoplay or the page's play() says so
  };
}
