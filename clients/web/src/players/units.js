// A player's bits per second as the contract's kbps; null when the player does not know yet.
export const kbps = (bitsPerSecond) =>
  Number.isFinite(bitsPerSecond) && bitsPerSecond > 0 ? Math.round(bitsPerSecond / 1000) : null;
