output "realtime_log_config_arn" {
  description = "Set as realtime_log_config_arn on each cache behaviour whose requests should be logged; the pipeline module's cdn_logs.realtime_log_config_arn, whose field order the processor reads (null when not created)."
  value       = one(aws_cloudfront_realtime_log_config.this[*].arn)
}

output "stream_name" {
  description = "The log stream the processor reads as its second input (null when not created)."
  value       = one(aws_kinesis_stream.this[*].name)
}

output "stream_arn" {
  description = "The log stream's ARN, for the processor's second event source mapping (the pipeline module's cdn_logs.stream_arn; null when not created)."
  value       = one(aws_kinesis_stream.this[*].arn)
}

output "kms_key_arn" {
  description = "The stream's customer-managed key: the processor needs kms:Decrypt on it (the pipeline module's cdn_logs.kms_key_arn; null when not created)."
  value       = one(module.key[*].arn)
}

output "role_arn" {
  description = "The role CloudFront assumes to write to the stream (null when not created)."
  value       = one(aws_iam_role.this[*].arn)
}

output "fields" {
  description = "The fields asked for, in CloudFront's field order. The order on the stream is the one GetRealtimeLogConfig reports (`sluice cdn fields`)."
  value       = local.fields
}
