output "name" {
  description = "Stream name."
  value       = try(aws_kinesis_stream.this[0].name, null)
}

output "arn" {
  description = "Stream ARN."
  value       = try(aws_kinesis_stream.this[0].arn, null)
}

output "kms_key_arn" {
  description = "The key the stream is encrypted with (consumers and producers need it)."
  value       = var.create ? local.kms_key_arn : null
}

output "capacity" {
  description = "ON_DEMAND, or the shard count of a provisioned stream."
  value       = !var.create ? null : var.on_demand ? "ON_DEMAND" : "${aws_kinesis_stream.this[0].shard_count} shards"
}
