# CloudFront real-time logs: off by default, the cdn_logs module's stream when switched on.

mock_provider "aws" {
  alias = "us_east_1"
}

mock_provider "aws" {
  source = "../../testing/aws"
}
variables {
  lake_bucket_name             = "test-lake"
  private_subnet_ids           = ["subnet-a", "subnet-b"]
  warehouse_security_group_ids = ["sg-w"]
  search_security_group_ids    = ["sg-s"]
  stage_security_group_ids     = ["sg-f"]
  search_master_user_arn       = "arn:aws:iam::123456789012:role/admin"
  jwt_issuer                   = "https://auth.example.com/"
  cors_allow_origins           = ["https://watch.example"]
  origin_verify_token          = "0123456789abcdef0123456789abcdef0123456789abcdef"
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
}

run "cdn_logs_are_off_by_default" {
  command = plan

  assert {
    condition = (
      output.cdn_logs.realtime_log_config_arn == null && output.cdn_logs.stream_name == null
      && output.cdn_logs.stream_arn == null && output.cdn_logs.kms_key_arn == null
    )
    error_message = "no real-time log configuration, stream, key or role unless create_cdn_logs"
  }
  assert {
    condition     = output.cdn_logs.processor_input == null
    error_message = "the processor has no CDN-log input unless create_cdn_logs"
  }
}

run "cdn_logs_when_switched_on" {
  command = plan

  variables {
    create_cdn_logs        = true
    cdn_logs_sampling_rate = 50
  }

  assert {
    condition     = output.cdn_logs.stream_name == "sluice-cdn-logs"
    error_message = "the log stream is named from the prefix"
  }
  # The ARNs are known only after apply; that the processor reads the stream is known now.
  assert {
    condition = (
      output.cdn_logs.processor_input != null
      && output.cdn_logs.processor_input.trigger.starting_position == "TRIM_HORIZON"
      && output.cdn_logs.processor_input.trigger.batch_size == 500
      && length(output.cdn_logs.processor_input.statements) == 3
    )
    error_message = "with create_cdn_logs the processor reads the log stream by its own mapping, batched as the raw stream, with its three grants"
  }
}

# cs-headers (every request header, cookies and Authorization included) only when asked for.
run "no_request_headers_on_the_log_stream_unless_asked" {
  command = plan

  variables {
    create_cdn_logs = true
  }

  assert {
    condition     = !contains(module.cdn_logs.fields, "cs-headers") && contains(module.cdn_logs.fields, "cmcd-session-id")
    error_message = "by default the configuration asks for the cmcd-* fields but not cs-headers"
  }
}

run "request_headers_for_cmcd_header_mode" {
  command = plan

  variables {
    create_cdn_logs          = true
    cdn_logs_request_headers = true
  }

  assert {
    condition     = contains(module.cdn_logs.fields, "cs-headers")
    error_message = "cdn_logs_request_headers = true asks for cs-headers (CMCD v2 keys in header mode)"
  }
}
