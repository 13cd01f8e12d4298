output "name" {
  description = "Stream name."
  value       = aws_kinesis_stream.this.name
}

output "arn" {
  description = "Stream ARN."
  value       = aws_kinesis_stream.this.arn
}

output "kms_key_arn" {
  description = "The key the stream is encrypted with (consumers and producers need it)."
  value       = local.kms_key_arn
}

output "capacity" {
  description = "ON_DEMAND, or the shard count of a provisioned stream."
  value       = var.on_demand ? "ON_DEMAND" : "${aws_kinesis_stream.this.shard_count} shards"
}
