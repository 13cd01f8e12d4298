// Generated from sluice_tools.sdk.delivery by `sluice schemas render web-delivery`.
// Do not edit: regenerate with `sluice schemas render web-delivery > clients/web/src/delivery.generated.js`.
export const DELIVERY = {
  "heartbeatIntervalMs": 10000,
  "flushIntervalMs": 2000,
  "batchSize": 10,
  "maxQueue": 500,
  "keepaliveBytes": 61440,
  "monitorWindowMs": 60000,
  "heartbeatsMaxBatch": 50,
  "policies": [
    "interval",
    "heartbeats"
  ]
};
