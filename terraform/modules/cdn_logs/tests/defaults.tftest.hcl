# Plan-only checks of the real-time log configuration, its stream and CloudFront's role, with a
# mocked provider (the AWS API emulator has no real-time log API).

mock_provider "aws" {
  source = "../../testing/aws"
}

# The stream's and the key's ARNs, known at plan, so that the role's policy can be checked.
override_resource {
  target          = aws_kinesis_stream.this
  override_during = plan
  values          = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-cdn-logs" }
}

override_module {
  target          = module.key
  override_during = plan
  outputs         = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
}

variables {
  name = "sluice-cdn-logs"
}

run "fields_from_the_one_list_without_the_request_headers" {
  command = plan

  assert {
    condition     = output.fields == tolist([for f in jsondecode(file("../../generated/cdn_realtime_log_fields.json")) : f if f != "cs-headers"])
    error_message = "the module asks for the fields of terraform/generated/cdn_realtime_log_fields.json, in its order, but cs-headers"
  }
  assert {
    condition = (
      aws_cloudfront_realtime_log_config.this[0].fields == toset([for f in jsondecode(file("../../generated/cdn_realtime_log_fields.json")) : f if f != "cs-headers"]) &&
      !contains(aws_cloudfront_realtime_log_config.this[0].fields, "cs-headers") &&
      contains(aws_cloudfront_realtime_log_config.this[0].fields, "cmcd-buffer-length")
    )
    error_message = "by default the configuration carries every field of the list but cs-headers (every request header, cookies and Authorization included), and still the cmcd-* fields"
  }
  assert {
    condition     = aws_cloudfront_realtime_log_config.this[0].sampling_rate == 100
    error_message = "every request is logged by default (sampling rate 100)"
  }
  assert {
    condition = (
      one(one(aws_cloudfront_realtime_log_config.this[0].endpoint).kinesis_stream_config).stream_arn == "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-cdn-logs"
      && one(aws_cloudfront_realtime_log_config.this[0].endpoint).stream_type == "Kinesis"
    )
    error_message = "the configuration writes to the module's stream"
  }
}

run "stream_encrypted_with_its_key_for_24_hours" {
  command = plan

  assert {
    condition = (
      aws_kinesis_stream.this[0].encryption_type == "KMS"
      && aws_kinesis_stream.this[0].kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      && output.kms_key_arn == aws_kinesis_stream.this[0].kms_key_id
    )
    error_message = "the stream is encrypted with the module's customer-managed key"
  }
  assert {
    condition     = aws_kinesis_stream.this[0].retention_period == 24
    error_message = "the stream keeps records (and their full client addresses) for 24 hours, the least Kinesis allows"
  }
  assert {
    condition     = one(aws_kinesis_stream.this[0].stream_mode_details).stream_mode == "ON_DEMAND" && aws_kinesis_stream.this[0].shard_count == null
    error_message = "on-demand by default"
  }
}

run "provisioned_shards" {
  command = plan

  variables {
    on_demand   = false
    shard_count = 3
  }

  assert {
    condition     = one(aws_kinesis_stream.this[0].stream_mode_details).stream_mode == "PROVISIONED" && aws_kinesis_stream.this[0].shard_count == 3
    error_message = "a provisioned stream has the shards asked for"
  }
}

run "cloudfront_assumes_a_role_that_writes_only_this_stream_with_this_key" {
  command = plan

  assert {
    condition = (
      one(data.aws_iam_policy_document.assume.statement).actions == toset(["sts:AssumeRole"])
      && one(one(data.aws_iam_policy_document.assume.statement).principals).type == "Service"
      && one(one(data.aws_iam_policy_document.assume.statement).principals).identifiers == toset(["cloudfront.amazonaws.com"])
    )
    error_message = "only CloudFront may assume the role"
  }
  assert {
    condition = (
      length(data.aws_iam_policy_document.write[0].statement) == 2
      && data.aws_iam_policy_document.write[0].statement[0].actions == toset(["kinesis:DescribeStreamSummary", "kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"])
      && data.aws_iam_policy_document.write[0].statement[0].resources == toset(["arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-cdn-logs"])
      && data.aws_iam_policy_document.write[0].statement[1].actions == toset(["kms:GenerateDataKey"])
      && data.aws_iam_policy_document.write[0].statement[1].resources == toset(["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    )
    error_message = "the role may describe and put records on this stream and generate data keys with this key, nothing else"
  }
  assert {
    condition     = aws_iam_role.this[0].name == "sluice-cdn-logs-cloudfront"
    error_message = "the role is named for the configuration"
  }
}

run "sampling_rate_is_a_variable" {
  command = plan

  variables {
    sampling_rate = 10
  }

  assert {
    condition     = aws_cloudfront_realtime_log_config.this[0].sampling_rate == 10
    error_message = "the sampling rate is the one given"
  }
}

run "sampling_rate_zero_is_refused" {
  command = plan

  variables {
    sampling_rate = 0
  }

  expect_failures = [var.sampling_rate]
}

run "sampling_rate_above_100_is_refused" {
  command = plan

  variables {
    sampling_rate = 101
  }

  expect_failures = [var.sampling_rate]
}

run "without_the_realtime_log_config" {
  command = plan

  variables {
    create_realtime_log_config = false
  }

  assert {
    condition     = length(aws_cloudfront_realtime_log_config.this) == 0 && output.realtime_log_config_arn == null
    error_message = "create_realtime_log_config = false makes no configuration (the emulator has no real-time log API)"
  }
  assert {
    condition     = length(aws_kinesis_stream.this) == 1 && length(module.key) == 1 && length(aws_iam_role.this) == 1
    error_message = "the stream, its key and the role are still made"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_cloudfront_realtime_log_config.this) == 0
      && length(aws_kinesis_stream.this) == 0
      && length(module.key) == 0
      && length(aws_iam_role.this) == 0
      && length(aws_iam_role_policy.write) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.realtime_log_config_arn == null && output.stream_name == null && output.stream_arn == null
      && output.kms_key_arn == null && output.role_arn == null
    )
    error_message = "every output is null when nothing is created"
  }
}

run "request_headers_when_asked_for" {
  command = plan

  variables {
    log_request_headers = true
  }

  assert {
    condition = (
      output.fields == tolist(jsondecode(file("../../generated/cdn_realtime_log_fields.json")))
      && aws_cloudfront_realtime_log_config.this[0].fields == toset(jsondecode(file("../../generated/cdn_realtime_log_fields.json")))
      && length(aws_cloudfront_realtime_log_config.this[0].fields) == length(jsondecode(file("../../generated/cdn_realtime_log_fields.json")))
    )
    error_message = "log_request_headers = true asks for every field of the list, cs-headers included (CMCD v2 keys in header mode), none twice and no other"
  }
}
