// Delivery to Sluice's ingest: batched, bounded in memory, retried with backoff on 429, 500, 502,
// 503 and 504 (honouring Retry-After, resending only the events ingest lists in `not_accepted`),
// and handed to the browser at page exit (fetch keepalive within the page's keepalive budget, the
// rest with navigator.sendBeacon). It never throws.
//
// Two policies (`deliveryPolicy`), their numbers from delivery.generated.js (the one source the
// cost model and the health simulation read too):
// - "interval" (default): a flush every `flushIntervalMs` (2 s), and at `batchSize` (10) events;
// - "heartbeats": events wait across heartbeats, a flush every as many heartbeat intervals as fit
//   in one monitor window (`monitorWindowMs`, the monitor's 60 s) and never later, so an event is
//   at most one window late (unless ingest asks for a retry; the alert delay this adds is measured by
//   `sluice health simulate --arrival-delay heartbeats`, not bounded); `batchSize` 50.
// Both send everything left at page exit, the batches waiting for a retry included.

import { DELIVERY } from "./delivery.generated.js";

// Worth resending: throttling (429), ingest unavailable (503), and what stands between the page and
// ingest failing for a moment: a Lambda error behind a function URL is a 502 (500 from the
// function itself), CloudFront's origin timeout a 504.
const RETRYABLE = new Set([429, 500, 502, 503, 504]);
// The Fetch standard caps the bodies of ALL keepalive requests in flight from a page at 64 KiB
// ("inflightKeepaliveBytes"), counted in bytes: the exit flush keeps its keepalive bodies to this
// many UTF-8 bytes in total (room left for the headers), and each body (sendBeacon's too) under it.
const KEEPALIVE_BYTES = DELIVERY.keepaliveBytes;
const utf8 = new TextEncoder();

// The flush interval and batch size a policy gives these options (as sluice_tools.sdk.delivery.policy).
export function resolvePolicy(options = {}) {
  const name = options.deliveryPolicy ?? "interval";
  if (!DELIVERY.policies.includes(name)) throw new TypeError(`SluiceTelemetry: no delivery policy ${name}`);
  if (name === "interval") {
    return { name, flushIntervalMs: options.flushIntervalMs ?? DELIVERY.flushIntervalMs, batchSize: options.batchSize ?? DELIVERY.batchSize };
  }
  const heartbeat = options.heartbeatIntervalMs ?? DELIVERY.heartbeatIntervalMs;
  const windowMs = options.monitorWindowMs ?? DELIVERY.monitorWindowMs;
  const bound = Math.min(windowMs, heartbeat * Math.max(1, Math.floor(windowMs / heartbeat)));
  const flushIntervalMs = options.flushIntervalMs ? Math.min(options.flushIntervalMs, bound) : bound;
  return { name, flushIntervalMs, batchSize: options.batchSize ?? DELIVERY.heartbeatsMaxBatch };
}

export class Delivery {
  constructor(endpoint, options = {}) {
    this.endpoint = endpoint;
    const policy = resolvePolicy(options);
    this.policy = policy.name;
    this.batchSize = policy.batchSize;
    this.flushIntervalMs = policy.flushIntervalMs;
    this.maxQueue = options.maxQueue ?? DELIVERY.maxQueue;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);
    this.sendBeacon = options.sendBeacon ?? globalThis.navigator?.sendBeacon?.bind(globalThis.navigator);
    this.queue = [];
    this.retrying = new Map(); // a retry's timer -> the batch it will resend: the exit flush takes them
    this.dropped = 0; // events let go: the queue was full, ingest refused them for good, or page exit could not hand them on
    this.inFlight = 0;
    this.holding = false; // the session is ending: what it pushes now waits for the exit flush
    this.timer = setInterval(() => this.flush(), this.flushIntervalMs);
  }

  push(event) {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift(); // bounded memory: the oldest event makes room
      this.dropped += 1;
    }
    this.queue.push(event);
    if (this.queue.length >= this.batchSize && !this.holding) this.flush();
  }

  flush() {
    while (this.queue.length) this.send(this.queue.splice(0, this.batchSize), 1);
  }

  // The session is ending (its last heartbeat and session_end to come): no flush until the exit
  // flush, which the browser finishes after the page is gone, where a plain fetch would be cancelled.
  hold() {
    this.holding = true;
    clearInterval(this.timer);
  }

  // At page exit: everything left, the batches waiting for a retry first (they are older), in
  // requests the browser finishes after the page is gone. Keepalive fetches up to the page's
  // keepalive budget, sendBeacon for the rest and for a keepalive fetch the browser refuses; what
  // neither takes is counted in `dropped`.
  flushAtExit() {
    this.hold();
    for (const timer of this.retrying.keys()) clearTimeout(timer);
    const held = [...this.retrying.values()].flat();
    this.retrying.clear();
    const lines = [...held, ...this.queue.splice(0)].map((event) => JSON.stringify(event)); // each serialised once
    const sizes = lines.map((line) => utf8.encode(line).length);
    let keepalive = this.fetch ? KEEPALIVE_BYTES : 0; // what is left of the page's keepalive budget
    for (let i = 0; i < lines.length; ) {
      const viaKeepalive = 2 + sizes[i] <= keepalive;
      const limit = viaKeepalive ? keepalive : KEEPALIVE_BYTES;
      let bytes = 2 + sizes[i];
      let j = i + 1;
      for (; j < lines.length && bytes + 1 + sizes[j] <= limit; j += 1) bytes += 1 + sizes[j];
      const body = `[${lines.slice(i, j).join(",")}]`;
      const count = j - i;
      i = j;
      if (!viaKeepalive) {
        this.beacon(body, count);
        continue;
      }
      keepalive -= bytes;
      const sent = this.post(body, true);
      // A keepalive fetch over the budget rejects later, not here: the beacon takes it then.
      if (sent) Promise.resolve(sent).catch(() => this.beacon(body, count));
      else this.beacon(body, count);
    }
  }

  // sendBeacon returns false when the browser will not queue the body (over its quota).
  beacon(body, count) {
    let queued = false;
    try {
      queued = this.sendBeacon?.(this.endpoint, new Blob([body], { type: "text/plain;charset=UTF-8" })) === true;
    } catch {
      queued = false;
    }
    if (!queued) this.dropped += count;
  }

  stop() {
    clearInterval(this.timer);
  }

  // A JSON array as text/plain: a CORS-simple request, so no preflight before each batch.
  post(body, keepalive) {
    if (!this.fetch) return null;
    try {
      return this.fetch(this.endpoint, {
        method: "POST",
        body,
        keepalive,
        headers: { "content-type": "text/plain;charset=UTF-8" },
      });
    } catch {
      return null;
    }
  }

  async send(batch, attempt) {
    this.inFlight += 1;
    try {
      const response = await this.post(JSON.stringify(batch), false);
      if (!response) throw new Error("no fetch");
      if (RETRYABLE.has(response.status)) {
        const answer = await response.json().catch(() => ({}));
        const resend = Array.isArray(answer.not_accepted) ? answer.not_accepted.map((i) => batch[i]).filter(Boolean) : batch;
        this.retry(resend, attempt, retryAfterMs(response.headers?.get?.("retry-after")));
      } else if (response.status >= 400) {
        this.dropped += batch.length; // refused as they are: resending cannot help
      }
    } catch {
      this.retry(batch, attempt, 0); // the network: try again later
    } finally {
      this.inFlight -= 1;
    }
  }

  retry(batch, attempt, afterMs) {
    if (!batch.length) return;
    if (attempt >= this.maxAttempts) {
      this.dropped += batch.length;
      return;
    }
    // Full jitter over an exponential ceiling, never sooner than the server asked.
    // The batch waits in `retrying`, not in a closure alone, so the exit flush can take it.
    const backoff = Math.random() * Math.min(30000, 500 * 2 ** attempt);
    const timer = setTimeout(() => {
      this.retrying.delete(timer);
      this.send(batch, attempt + 1);
    }, Math.max(afterMs, backoff));
    this.retrying.set(timer, batch);
  }
}

function retryAfterMs(header) {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : 0;
}
