// Generated from the Avro schema player_event.v5 (6cee76ef2b58f6dc) by `sluice schemas render web`.
// Do not edit: regenerate with `sluice schemas render web > clients/web/src/contract.generated.js`.
export const STRING_LIMITS = {
  "session_id": 128,
  "player.name": 64,
  "player.version": 64,
  "device.id": 128,
  "device.type": 32,
  "device.model": 128,
  "content.id": 512,
  "content.title": 512,
  "cdn.name": 64,
  "cdn.host": 253,
  "page_url": 2048,
  "referrer": 2048,
  "reason": 32,
  "cause": 32,
  "code": 128,
  "message": 2048,
  "ad_break_id": 128,
  "position": 32,
  "ad_id": 128,
  "ad_system": 128
};

export const CONTRACT = {
  "schema": "player_event.v5",
  "fingerprint": "6cee76ef2b58f6dc",
  "envelope": [
    {
      "name": "event_id",
      "nullable": false,
      "type": "uuid",
      "maxLength": 36
    },
    {
      "name": "event_type",
      "nullable": false,
      "type": "enum",
      "symbols": [
        "session_start",
        "session_end",
        "play",
        "pause",
        "seek",
        "heartbeat",
        "buffering_start",
        "buffering_end",
        "bitrate_change",
        "error",
        "ad_break_start",
        "ad_break_end",
        "ad_start",
        "ad_quartile",
        "ad_complete",
        "ad_skip",
        "ad_error"
      ]
    },
    {
      "name": "session_id",
      "nullable": false,
      "type": "string",
      "minLength": 1,
      "maxLength": 128
    },
    {
      "name": "sequence",
      "nullable": false,
      "type": "long",
      "min": 0,
      "max": 2147483647
    },
    {
      "name": "client_time",
      "nullable": false,
      "type": "timestamp",
      "min": 0,
      "max": 253402300799999
    },
    {
      "name": "player",
      "nullable": false,
      "type": "record",
      "fields": [
        {
          "name": "name",
          "nullable": false,
          "type": "string",
          "minLength": 1,
          "maxLength": 64
        },
        {
          "name": "version",
          "nullable": false,
          "type": "string",
          "minLength": 1,
          "maxLength": 64
        }
      ]
    },
    {
      "name": "device",
      "nullable": false,
      "type": "record",
      "fields": [
        {
          "name": "id",
          "nullable": true,
          "type": "string",
          "maxLength": 128
        },
        {
          "name": "type",
          "nullable": true,
          "type": "string",
          "maxLength": 32
        },
        {
          "name": "model",
          "nullable": true,
          "type": "string",
          "maxLength": 128
        },
        {
          "name": "screen_width",
          "nullable": true,
          "type": "int",
          "min": 0,
          "max": 65535
        },
        {
          "name": "screen_height",
          "nullable": true,
          "type": "int",
          "min": 0,
          "max": 65535
        }
      ]
    },
    {
      "name": "content",
      "nullable": false,
      "type": "record",
      "fields": [
        {
          "name": "id",
          "nullable": false,
          "type": "string",
          "minLength": 1,
          "maxLength": 512
        },
        {
          "name": "title",
          "nullable": true,
          "type": "string",
          "maxLength": 512
        },
        {
          "name": "duration_ms",
          "nullable": true,
          "type": "long",
          "min": 0,
          "max": 1000000000000
        },
        {
          "name": "live",
          "nullable": false,
          "type": "boolean"
        }
      ]
    },
    {
      "name": "cdn",
      "nullable": false,
      "type": "record",
      "fields": [
        {
          "name": "name",
          "nullable": false,
          "type": "string",
          "minLength": 1,
          "maxLength": 64
        },
        {
          "name": "host",
          "nullable": true,
          "type": "string",
          "maxLength": 253
        }
      ]
    }
  ],
  "payloads": {
    "session_start": [
      {
        "name": "autoplay",
        "nullable": false,
        "type": "boolean"
      },
      {
        "name": "page_url",
        "nullable": true,
        "type": "string",
        "maxLength": 2048
      },
      {
        "name": "referrer",
        "nullable": true,
        "type": "string",
        "maxLength": 2048
      }
    ],
    "session_end": [
      {
        "name": "reason",
        "nullable": false,
        "type": "string",
        "maxLength": 32
      },
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "watch_time_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "play": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "initial",
        "nullable": false,
        "type": "boolean"
      },
      {
        "name": "startup_time_ms",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "pause": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "seek": [
      {
        "name": "from_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "to_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "heartbeat": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "bitrate_kbps",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "buffer_length_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "dropped_frames",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000
      },
      {
        "name": "watch_time_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "rebuffer_time_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "interval_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "frame_rate",
        "nullable": true,
        "type": "float",
        "min": 0,
        "max": 1000
      }
    ],
    "buffering_start": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "cause",
        "nullable": false,
        "type": "string",
        "maxLength": 32
      }
    ],
    "buffering_end": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "cause",
        "nullable": false,
        "type": "string",
        "maxLength": 32
      },
      {
        "name": "duration_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "bitrate_change": [
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "from_kbps",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "to_kbps",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 100000000
      }
    ],
    "error": [
      {
        "name": "code",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "message",
        "nullable": false,
        "type": "string",
        "maxLength": 2048
      },
      {
        "name": "fatal",
        "nullable": false,
        "type": "boolean"
      },
      {
        "name": "playhead_ms",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "ad_break_start": [
      {
        "name": "ad_break_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "position",
        "nullable": false,
        "type": "string",
        "maxLength": 32
      },
      {
        "name": "playhead_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "ad_break_end": [
      {
        "name": "ad_break_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "duration_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "ad_start": [
      {
        "name": "ad_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "ad_break_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "duration_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      },
      {
        "name": "ad_system",
        "nullable": true,
        "type": "string",
        "maxLength": 128
      }
    ],
    "ad_quartile": [
      {
        "name": "ad_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "quartile",
        "nullable": false,
        "type": "int",
        "min": 1,
        "max": 3
      }
    ],
    "ad_complete": [
      {
        "name": "ad_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      }
    ],
    "ad_skip": [
      {
        "name": "ad_id",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "skipped_after_ms",
        "nullable": false,
        "type": "long",
        "min": 0,
        "max": 1000000000000
      }
    ],
    "ad_error": [
      {
        "name": "ad_id",
        "nullable": true,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "code",
        "nullable": false,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "message",
        "nullable": false,
        "type": "string",
        "maxLength": 2048
      }
    ]
  }
};
