# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_s3_bucket.lake
  to   = aws_s3_bucket.lake[0]
}

moved {
  from = aws_s3_bucket_versioning.lake
  to   = aws_s3_bucket_versioning.lake[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.lake
  to   = aws_s3_bucket_server_side_encryption_configuration.lake[0]
}

moved {
  from = aws_s3_bucket_public_access_block.lake
  to   = aws_s3_bucket_public_access_block.lake[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.lake
  to   = aws_s3_bucket_lifecycle_configuration.lake[0]
}

moved {
  from = aws_iam_role.firehose
  to   = aws_iam_role.firehose[0]
}

moved {
  from = aws_iam_role_policy.firehose
  to   = aws_iam_role_policy.firehose[0]
}

moved {
  from = aws_cloudwatch_log_group.firehose
  to   = aws_cloudwatch_log_group.firehose[0]
}

moved {
  from = aws_kinesis_firehose_delivery_stream.lake
  to   = aws_kinesis_firehose_delivery_stream.lake[0]
}

moved {
  from = aws_kinesis_firehose_delivery_stream.failed
  to   = aws_kinesis_firehose_delivery_stream.failed[0]
}

moved {
  from = aws_glue_catalog_database.lake
  to   = aws_glue_catalog_database.lake[0]
}

moved {
  from = aws_glue_catalog_table.events
  to   = aws_glue_catalog_table.events[0]
}
