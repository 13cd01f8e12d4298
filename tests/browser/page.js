// What every test page does, whatever player it plays: the page's query, the <video> element,
// a player's build loaded by <script>, and the two things the tests wait for and read back:
// window.finished ("ended" or "fatal", null until then) and window.errors (what went wrong, as the
// page saw it). Each test copies this file beside its page (support.browser.site).
export const query = new URLSearchParams(location.search);
export const video = document.getElementById("video");
window.finished = null;
window.errors = [];

export const script = (src) =>
  new Promise((resolve, reject) => {
    const element = document.createElement("script");
    element.src = src;
    element.onload = resolve;
    element.onerror = reject;
    document.head.appendChild(element);
  });

export const fatal = (what) => {
  window.errors.push(what);
  window.finished = window.finished || "fatal";
};

video.addEventListener("ended", () => (window.finished = window.finished || "ended"));

// play() on the element (or a player), its refusal left to the player's own error events.
export const play = (target = video) => {
  const promise = target.play();
  if (promise?.catch) promise.catch(() => {});
};

// The page's players by ?player=, each an async function: a failure to set one up is fatal.
export const run = (players) => players[query.get("player")]().catch((error) => fatal(String(error)));
