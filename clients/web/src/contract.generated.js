// Generated from the Avro schema player_event.v4 (ccf6fd37554be9f2) by `sluice schemas render web`.
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
  "ad_system": 128,
  "cmcd_ot": 8,
  "cmcd_nor": 1024,
  "cmcd_nrr": 100,
  "cmcd_cid": 128,
  "cmcd_sf": 8,
  "cmcd_sid": 128,
  "cmcd_st": 8,
  "cmcd_cdn": 128,
  "cmcd_cs": 512,
  "cmcd_ec": 1024,
  "cmcd_sta": 8,
  "cmcd_url": 2048,
  "cmcd_cmsdd": 1024,
  "cmcd_cmsds": 1024,
  "cmcd_smrt": 1024,
  "cmcd_e": 8,
  "cmcd_cen": 64,
  "cmcd_h": 253,
  "cmcd_mode": 16,
  "cmcd_custom": 4096,
  "cmcd_invalid_keys": 2048,
  "cmcd_by_object_type": 2048
};

export const CONTRACT = {
  "schema": "player_event.v4",
  "fingerprint": "ccf6fd37554be9f2",
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
        "ad_error",
        "cmcd"
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
    ],
    "cmcd": [
      {
        "name": "cmcd_br",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_d",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_ot",
        "nullable": true,
        "type": "string",
        "maxLength": 8
      },
      {
        "name": "cmcd_tb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_bl",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_dl",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_mtp",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_nor",
        "nullable": true,
        "type": "string",
        "maxLength": 1024
      },
      {
        "name": "cmcd_nrr",
        "nullable": true,
        "type": "string",
        "maxLength": 100
      },
      {
        "name": "cmcd_su",
        "nullable": true,
        "type": "boolean"
      },
      {
        "name": "cmcd_cid",
        "nullable": true,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "cmcd_pr",
        "nullable": true,
        "type": "double",
        "min": 0,
        "max": 100
      },
      {
        "name": "cmcd_sf",
        "nullable": true,
        "type": "string",
        "maxLength": 8
      },
      {
        "name": "cmcd_sid",
        "nullable": true,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "cmcd_st",
        "nullable": true,
        "type": "string",
        "maxLength": 8
      },
      {
        "name": "cmcd_v",
        "nullable": true,
        "type": "long",
        "min": 1,
        "max": 9
      },
      {
        "name": "cmcd_bs",
        "nullable": true,
        "type": "boolean"
      },
      {
        "name": "cmcd_rtp",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_ab",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_bg",
        "nullable": true,
        "type": "boolean"
      },
      {
        "name": "cmcd_bsa",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000
      },
      {
        "name": "cmcd_bsd",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_bsda",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_cdn",
        "nullable": true,
        "type": "string",
        "maxLength": 128
      },
      {
        "name": "cmcd_cs",
        "nullable": true,
        "type": "string",
        "maxLength": 512
      },
      {
        "name": "cmcd_df",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000
      },
      {
        "name": "cmcd_dfa",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000
      },
      {
        "name": "cmcd_ec",
        "nullable": true,
        "type": "string",
        "maxLength": 1024
      },
      {
        "name": "cmcd_lab",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_lb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_ltc",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_msd",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_nr",
        "nullable": true,
        "type": "boolean"
      },
      {
        "name": "cmcd_pb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_pt",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 9999999999999
      },
      {
        "name": "cmcd_sn",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 1000000000
      },
      {
        "name": "cmcd_sta",
        "nullable": true,
        "type": "string",
        "maxLength": 8
      },
      {
        "name": "cmcd_tab",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_tbl",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_tpb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 100000000
      },
      {
        "name": "cmcd_rc",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 999
      },
      {
        "name": "cmcd_ttfb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_ttfbb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_ttlb",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 86400000
      },
      {
        "name": "cmcd_url",
        "nullable": true,
        "type": "string",
        "maxLength": 2048
      },
      {
        "name": "cmcd_cmsdd",
        "nullable": true,
        "type": "string",
        "maxLength": 1024
      },
      {
        "name": "cmcd_cmsds",
        "nullable": true,
        "type": "string",
        "maxLength": 1024
      },
      {
        "name": "cmcd_smrt",
        "nullable": true,
        "type": "string",
        "maxLength": 1024
      },
      {
        "name": "cmcd_e",
        "nullable": true,
        "type": "string",
        "maxLength": 8
      },
      {
        "name": "cmcd_ts",
        "nullable": true,
        "type": "long",
        "min": 0,
        "max": 9999999999999
      },
      {
        "name": "cmcd_cen",
        "nullable": true,
        "type": "string",
        "maxLength": 64
      },
      {
        "name": "cmcd_h",
        "nullable": true,
        "type": "string",
        "maxLength": 253
      },
      {
        "name": "cmcd_mode",
        "nullable": false,
        "type": "string",
        "maxLength": 16
      },
      {
        "name": "cmcd_custom",
        "nullable": true,
        "type": "string",
        "maxLength": 4096
      },
      {
        "name": "cmcd_custom_keys",
        "nullable": false,
        "type": "int",
        "min": 0,
        "max": 256
      },
      {
        "name": "cmcd_invalid_keys",
        "nullable": true,
        "type": "string",
        "maxLength": 2048
      },
      {
        "name": "cmcd_by_object_type",
        "nullable": true,
        "type": "string",
        "maxLength": 2048
      },
      {
        "name": "cmcd_session_inferred",
        "nullable": false,
        "type": "boolean"
      }
    ]
  }
};
