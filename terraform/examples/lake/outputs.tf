output "bucket" {
  description = "The lake bucket (events/, failed/) and its key."
  value       = { name = module.lake.bucket_name, arn = module.lake.bucket_arn, kms_key_arn = module.lake.kms_key_arn }
}

output "firehoses" {
  description = "The delivery streams: events and failed events."
  value       = { events = module.lake.lake_firehose_name, failed = module.lake.failed_firehose_name }
}

output "glue_table" {
  description = "<database>.<table> for Athena."
  value       = module.lake.glue_table
}

output "writer_policy_arn" {
  description = "Attach to the role of whatever writes events to the lake."
  value       = aws_iam_policy.writer.arn
}
