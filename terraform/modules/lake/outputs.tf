output "bucket_name" {
  description = "The lake bucket."
  value       = try(aws_s3_bucket.lake[0].bucket, null)
}

output "bucket_arn" {
  description = "The lake bucket ARN."
  value       = try(aws_s3_bucket.lake[0].arn, null)
}

output "kms_key_arn" {
  description = "The lake's key (readers such as the loader and Redshift COPY need decrypt)."
  value       = var.create ? local.kms_key_arn : null
}

output "lake_firehose_name" {
  description = "SLUICE_LAKE_FIREHOSE of the processor."
  value       = try(aws_kinesis_firehose_delivery_stream.lake[0].name, null)
}

output "lake_firehose_arn" {
  description = "ARN of the lake delivery stream."
  value       = try(aws_kinesis_firehose_delivery_stream.lake[0].arn, null)
}

output "failed_firehose_name" {
  description = "SLUICE_FAILED_FIREHOSE of every stage."
  value       = try(aws_kinesis_firehose_delivery_stream.failed[0].name, null)
}

output "failed_firehose_arn" {
  description = "ARN of the failed-events delivery stream."
  value       = try(aws_kinesis_firehose_delivery_stream.failed[0].arn, null)
}

output "glue_table" {
  description = "The lake's table for Athena: database.table."
  value       = try("${aws_glue_catalog_database.lake[0].name}.${aws_glue_catalog_table.events[0].name}", null)
}
