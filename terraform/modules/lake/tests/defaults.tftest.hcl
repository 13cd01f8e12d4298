mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name        = "sluice"
  bucket_name = "sluice-lake"
  glue_table  = jsondecode(file("../../generated/glue_table.json"))
}

run "private_encrypted_partitioned_lake" {
  command = plan

  assert {
    condition     = aws_s3_bucket_public_access_block.lake[0].block_public_acls && aws_s3_bucket_public_access_block.lake[0].block_public_policy && aws_s3_bucket_public_access_block.lake[0].ignore_public_acls && aws_s3_bucket_public_access_block.lake[0].restrict_public_buckets
    error_message = "the lake blocks every kind of public access"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.lake[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "the lake is encrypted with KMS"
  }
  assert {
    condition     = one(aws_s3_bucket_versioning.lake[0].versioning_configuration).status == "Enabled"
    error_message = "the lake is versioned"
  }
  assert {
    condition     = one(one(aws_kinesis_firehose_delivery_stream.lake[0].extended_s3_configuration).dynamic_partitioning_configuration).enabled && one(aws_kinesis_firehose_delivery_stream.lake[0].extended_s3_configuration).compression_format == "GZIP"
    error_message = "the lake stream partitions dynamically and compresses"
  }
  assert {
    condition     = startswith(one(aws_kinesis_firehose_delivery_stream.failed[0].extended_s3_configuration).prefix, "failed/")
    error_message = "failed events land under failed/"
  }
  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.lake[0].rule : [one(r.filter).prefix, one(r.expiration).days > 14] if r.id == "recovered-ranges"] == [["recovered/", true]]
    error_message = "the ranges `sluice failed recover` put back are kept longer than an on-failure queue keeps a message, then expire"
  }
  assert {
    condition     = length(aws_s3_bucket_policy.lake) == 1
    error_message = "the lake denies requests that are not over TLS"
  }
  assert {
    condition     = one(aws_glue_catalog_table.events[0].storage_descriptor).ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe" && one(aws_glue_catalog_table.events[0].storage_descriptor).location == "s3://sluice-lake/events/"
    error_message = "the Glue table reads the lake's own gzipped JSON lines, where Firehose writes them"
  }
  assert {
    condition     = aws_glue_catalog_table.events[0].parameters["projection.enabled"] == "true" && strcontains(aws_glue_catalog_table.events[0].parameters["projection.event_type.values"], "heartbeat") && aws_glue_catalog_table.events[0].parameters["storage.location.template"] == "s3://sluice-lake/events/event_type=$${event_type}/event_date=$${event_date}/event_hour=$${event_hour}/"
    error_message = "partitions are projected from the prefix Firehose writes, event types from the schema"
  }
  assert {
    condition     = length(one(aws_glue_catalog_table.events[0].storage_descriptor).columns) == length(jsondecode(file("../../generated/glue_table.json")).columns)
    error_message = "the table has every generated column"
  }
}

run "a_bucket_name_s3_refuses_is_refused" {
  command = plan

  variables {
    bucket_name = "Bad_Bucket!"
  }

  expect_failures = [var.bucket_name]
}

run "an_ip_address_is_no_bucket_name" {
  command = plan

  variables {
    bucket_name = "192.168.5.4"
  }

  expect_failures = [var.bucket_name]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_s3_bucket.lake) == 0
      && length(aws_s3_bucket_versioning.lake) == 0
      && length(aws_s3_bucket_server_side_encryption_configuration.lake) == 0
      && length(aws_s3_bucket_public_access_block.lake) == 0
      && length(aws_s3_bucket_lifecycle_configuration.lake) == 0
      && length(aws_iam_role.firehose) == 0
      && length(aws_iam_role_policy.firehose) == 0
      && length(aws_cloudwatch_log_group.firehose) == 0
      && length(aws_kinesis_firehose_delivery_stream.lake) == 0
      && length(aws_kinesis_firehose_delivery_stream.failed) == 0
      && length(aws_glue_catalog_database.lake) == 0
      && length(aws_glue_catalog_table.events) == 0
      && length(module.key) == 0
      && length(aws_s3_bucket_policy.lake) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.bucket_name == null
      && output.bucket_arn == null
      && output.kms_key_arn == null
      && output.lake_firehose_name == null
      && output.lake_firehose_arn == null
      && output.failed_firehose_name == null
      && output.failed_firehose_arn == null
      && output.glue_table == null
    )
    error_message = "every output is null when nothing is created"
  }
}
