output "bucket_name" {
  description = "The lake bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "bucket_arn" {
  description = "The lake bucket ARN."
  value       = aws_s3_bucket.lake.arn
}

output "kms_key_arn" {
  description = "The lake's key (readers such as the loader and Redshift COPY need decrypt)."
  value       = local.kms_key_arn
}

output "lake_firehose_name" {
  description = "SLUICE_LAKE_FIREHOSE of the processor."
  value       = aws_kinesis_firehose_delivery_stream.lake.name
}

output "lake_firehose_arn" {
  description = "ARN of the lake delivery stream."
  value       = aws_kinesis_firehose_delivery_stream.lake.arn
}

output "failed_firehose_name" {
  description = "SLUICE_FAILED_FIREHOSE of every stage."
  value       = aws_kinesis_firehose_delivery_stream.failed.name
}

output "failed_firehose_arn" {
  description = "ARN of the failed-events delivery stream."
  value       = aws_kinesis_firehose_delivery_stream.failed.arn
}

output "glue_table" {
  description = "The lake's table for Athena: database.table."
  value       = "${aws_glue_catalog_database.lake.name}.${aws_glue_catalog_table.events.name}"
}
