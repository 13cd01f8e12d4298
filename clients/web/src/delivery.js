// Delivery to Sluice's ingest: batched, bounded in memory, retried with backoff on 429/503
// (honouring Retry-After, resending only the events ingest lists in `not_accepted`), and handed to
// the browser at page exit (fetch keepalive, else navigator.sendBeacon). It never throws.
//
// Two policies (`deliveryPolicy`), their numbers from delivery.generated.js (the one source the
// cost model and the health simulation read too):
// - "interval" (default): a flush every `flushIntervalMs` (2 s), and at `batchSize` (10) events;
// - "heartbeats": events wait across heartbeats, a flush every as many heartbeat intervals as fit
//   in one monitor window (`monitorWindowMs`, the monitor's 60 s) and never later, so an event is
//   at most one window late and an alert on it at most one window behind; `batchSize` 50.
// Both send everything left at page exit.

import { DELIVERY } from "./delivery.generated.js";

const RETRYABLE = new Set([429, 503]);
const KEEPALIVE_BYTES = DELIVERY.keepaliveBytes; // browsers cap keepalive bodies at 64 KB in flight

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
    this.queue = [];
    this.dropped = 0; // events let go: the queue was full, or ingest refused them for good
    this.inFlight = 0;
    this.timer = setInterval(() => this.flush(), this.flushIntervalMs);
  }

  push(event) {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift(); // bounded memory: the oldest event makes room
      this.dropped += 1;
    }
    this.queue.push(event);
    if (this.queue.length >= this.batchSize) this.flush();
  }

  flush() {
    while (this.queue.length) this.send(this.queue.splice(0, this.batchSize), 1);
  }

  // At page exit: everything left, in requests the browser finishes after the page is gone.
  flushAtExit() {
    clearInterval(this.timer);
    const lines = this.queue.splice(0).map((event) => JSON.stringify(event)); // each serialised once
    while (lines.length) {
      const batch = [];
      let bytes = 2;
      while (lines.length && (batch.length === 0 || bytes + lines[0].length < KEEPALIVE_BYTES)) {
        bytes += lines[0].length + 1;
        batch.push(lines.shift());
      }
      const body = `[${batch.join(",")}]`;
      if (!this.post(body, true)) {
        try {
          navigator.sendBeacon?.(this.endpoint, new Blob([body], { type: "text/plain;charset=UTF-8" }));
        } catch {
          this.dropped += batch.length;
        }
      }
    }
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
    const backoff = Math.random() * Math.min(30000, 500 * 2 ** attempt);
    setTimeout(() => this.send(batch, attempt + 1), Math.max(afterMs, backoff));
  }
}

function retryAfterMs(header) {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : 0;
}
