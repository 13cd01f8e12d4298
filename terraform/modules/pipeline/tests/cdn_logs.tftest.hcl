# The processor's second input, the CDN-log stream: nothing without var.cdn_logs; with it, a
# second mapping with the raw stream's safe settings, the processor's CDN environment, and a role
# that may read that stream, decrypt with its key and read that configuration, nothing wider.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  lake_bucket_name = "test-lake"
  glue_table       = { columns = [{ name = "event_id", type = "string", comment = "" }], event_types = ["play"] }
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
  # The values below are only read by the runs that set cdn_logs from them.
  stream = "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-cdn-logs"
  key    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  config = "arn:aws:cloudfront::123456789012:realtime-log-config/sluice-cdn-logs"
}

run "no_cdn_input_by_default" {
  command = plan

  assert {
    condition = (
      output.cdn_log_input == null && keys(module.processor.event_source_mappings) == ["trigger"]
      && length([for k, v in module.processor.environment : k if startswith(k, "SLUICE_CDN_")]) == 0
    )
    error_message = "without cdn_logs the processor reads the raw stream only and is told of no CDN input"
  }
  assert {
    condition     = length([for s in module.processor.policy_statements : s if contains(["ReadCdnLogs", "DecryptCdnLogs", "ReadCdnLogConfig"], s.sid)]) == 0
    error_message = "without cdn_logs the processor's role has no CDN grant"
  }
}

run "the_deployed_configuration" {
  command = plan

  variables {
    cdn_logs = { stream_arn = var.stream, kms_key_arn = var.key, realtime_log_config_arn = var.config }
  }

  assert {
    condition     = keys(module.processor.event_source_mappings) == ["cdn_logs", "trigger"]
    error_message = "the processor gets a second mapping"
  }
  assert {
    condition = (
      output.cdn_log_input.mapping.source_arn == var.stream
      && output.cdn_log_input.mapping.starting_position == "TRIM_HORIZON"
      && output.cdn_log_input.trigger.batch_size == output.triggers.processor.batch_size
      && output.cdn_log_input.trigger.batching_window_seconds == output.triggers.processor.batching_window_seconds
      && output.cdn_log_input.trigger.parallelization_factor == output.triggers.processor.parallelization_factor
    )
    error_message = "the CDN mapping reads the log stream, from its oldest line, batched as the raw stream's"
  }
  assert {
    condition = tomap({ for k, v in module.processor.environment : k => v if startswith(k, "SLUICE_CDN_") }) == tomap({
      SLUICE_CDN_LOG_STREAM          = var.stream
      SLUICE_CDN_REALTIME_LOG_CONFIG = var.config
    })
    error_message = "the processor is told the stream and the configuration to ask for the field order and sampling rate"
  }
  assert {
    condition = toset([for s in output.cdn_log_input.statements : jsonencode(s)]) == toset([
      jsonencode({ sid = "ReadCdnLogs", actions = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"], resources = [var.stream] }),
      jsonencode({ sid = "DecryptCdnLogs", actions = ["kms:Decrypt"], resources = [var.key] }),
      jsonencode({ sid = "ReadCdnLogConfig", actions = ["cloudfront:GetRealtimeLogConfig"], resources = [var.config] }),
    ])
    error_message = "the role reads that stream, decrypts with its key and reads that configuration: named resources only"
  }
}

run "the_local_stand_ins_field_order" {
  command = plan

  variables {
    cdn_logs = { stream_arn = var.stream, kms_key_arn = var.key, fields = ["timestamp", "c-ip", "x-edge-request-id"], sampling_rate = 50, starting_position = "LATEST" }
  }

  assert {
    condition = tomap({ for k, v in module.processor.environment : k => v if startswith(k, "SLUICE_CDN_") }) == tomap({
      SLUICE_CDN_LOG_STREAM    = var.stream
      SLUICE_CDN_LOG_FIELDS    = "timestamp,c-ip,x-edge-request-id"
      SLUICE_CDN_SAMPLING_RATE = "50"
    })
    error_message = "without a configuration the processor is told the order and the sampling rate"
  }
  assert {
    condition     = [for s in output.cdn_log_input.statements : s.sid] == ["ReadCdnLogs", "DecryptCdnLogs"]
    error_message = "no cloudfront grant when there is no configuration to read"
  }
  assert {
    condition     = output.cdn_log_input.mapping.starting_position == "LATEST"
    error_message = "the starting position is the caller's choice"
  }
}

run "no_mapping_when_the_local_runtime_plays_them" {
  command = plan

  variables {
    create_event_source_mappings = false
    cdn_logs                     = { stream_arn = var.stream, kms_key_arn = var.key, fields = ["timestamp", "x-edge-request-id"] }
  }

  assert {
    condition     = output.cdn_log_input.mapping == null && output.cdn_log_input.environment.SLUICE_CDN_LOG_STREAM == var.stream
    error_message = "the environment is set, the mapping left to the local runtime"
  }
}

run "both_a_configuration_and_fields_is_refused" {
  command = plan

  variables {
    cdn_logs = { stream_arn = var.stream, kms_key_arn = var.key, realtime_log_config_arn = var.config, fields = ["timestamp", "x-edge-request-id"] }
  }

  expect_failures = [var.cdn_logs]
}

run "neither_a_configuration_nor_fields_is_refused" {
  command = plan

  variables {
    cdn_logs = { stream_arn = var.stream, kms_key_arn = var.key }
  }

  expect_failures = [var.cdn_logs]
}
