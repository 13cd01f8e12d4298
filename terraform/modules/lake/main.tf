data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}


module "key" {
  source      = "../kms_key"
  count       = var.create && var.create_kms_key ? 1 : 0
  description = "Sluice lake ${var.bucket_name}"
  tags        = var.tags
}

# The key was this module's own resource before the kms_key module: keep it, do not replace it.
moved {
  from = aws_kms_key.lake[0]
  to   = module.key[0].aws_kms_key.this
}

locals {
  kms_key_arn = var.create_kms_key ? one(module.key[*].arn) : var.kms_key_arn
  # Firehose dynamic partitioning reads these keys from each (de-aggregated) JSON line.
  partition_prefix = "events/event_type=!{partitionKeyFromQuery:event_type}/event_date=!{partitionKeyFromQuery:event_date}/event_hour=!{partitionKeyFromQuery:event_hour}/"
}

resource "aws_s3_bucket" "lake" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV_AWS_18:only Firehose writes and the loader / COPY read; CloudTrail data events are the audit trail, not a second bucket of access logs
  #checkov:skip=CKV2_AWS_62:the S3 -> SQS notifications are in the warehouse module, next to the loader they feed
  #checkov:skip=CKV_AWS_144:cross-region replication doubles the lake's cost; an organisation-level choice made outside this module
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "lake" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.lake[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.lake[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  count                   = var.create ? 1 : 0
  bucket                  = aws_s3_bucket.lake[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  count  = var.create ? 1 : 0
  bucket = aws_s3_bucket.lake[0].id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "events"
    status = "Enabled"
    filter {
      prefix = "events/"
    }
    transition {
      days          = var.transition_to_ia_days
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.expire_events_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "failed-and-errors"
    status = "Enabled"
    filter {
      prefix = "failed/"
    }
    expiration {
      days = var.expire_failed_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # The ranges `sluice failed recover` has put back: needed while a copy of their on-failure
  # message can still be queued (14 days, the stage_function module's queue retention).
  rule {
    id     = "recovered-ranges"
    status = "Enabled"
    filter {
      prefix = "recovered/"
    }
    expiration {
      days = 30
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  count = var.create ? 1 : 0
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake[0].arn,
      "${aws_s3_bucket.lake[0].arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  count  = var.create && var.enforce_tls ? 1 : 0
  bucket = aws_s3_bucket.lake[0].id
  policy = data.aws_iam_policy_document.tls_only[0].json
}

# --- Firehose ------------------------------------------------------------------------------

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  count              = var.create ? 1 : 0
  name               = "${var.name}-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "firehose" {
  count = var.create ? 1 : 0
  statement {
    sid       = "WriteLake"
    actions   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
    resources = [aws_s3_bucket.lake[0].arn, "${aws_s3_bucket.lake[0].arn}/*"]
  }
  statement {
    sid       = "EncryptLake"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [local.kms_key_arn]
  }
  statement {
    sid       = "DeliveryLogs"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.firehose[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "firehose" {
  count  = var.create ? 1 : 0
  name   = "deliver"
  role   = aws_iam_role.firehose[0].id
  policy = data.aws_iam_policy_document.firehose[0].json
}

resource "aws_cloudwatch_log_group" "firehose" {
  count             = var.create ? 1 : 0
  name              = "/aws/kinesisfirehose/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_kinesis_firehose_delivery_stream" "lake" {
  count       = var.create ? 1 : 0
  name        = "${var.name}-lake"
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = local.kms_key_arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose[0].arn
    bucket_arn          = aws_s3_bucket.lake[0].arn
    kms_key_arn         = local.kms_key_arn
    prefix              = local.partition_prefix
    error_output_prefix = "errors/lake/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/"
    # Gzipped JSON lines: what the loader (Redshift COPY, PostgreSQL) and Athena (the Glue table
    # below) both read.
    compression_format = "GZIP"
    # Dynamic partitioning needs at least 64 MB buffers.
    buffering_size     = var.buffering_mb
    buffering_interval = var.buffering_seconds

    dynamic_partitioning_configuration {
      enabled = true
    }

    processing_configuration {
      enabled = true
      # The processor packs many JSON lines into one Firehose record: split them first.
      processors {
        type = "RecordDeAggregation"
        parameters {
          parameter_name  = "SubRecordType"
          parameter_value = "JSON"
        }
      }
      processors {
        type = "MetadataExtraction"
        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }
        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = "{event_type:.event_type,event_date:.event_date,event_hour:.event_hour}"
        }
      }
      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose[0].name
      log_stream_name = "lake"
    }
  }

  tags = var.tags
}

resource "aws_kinesis_firehose_delivery_stream" "failed" {
  count       = var.create ? 1 : 0
  name        = "${var.name}-failed"
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = local.kms_key_arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose[0].arn
    bucket_arn          = aws_s3_bucket.lake[0].arn
    kms_key_arn         = local.kms_key_arn
    prefix              = "failed/!{timestamp:yyyy/MM/dd/HH}/"
    error_output_prefix = "errors/failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/"
    compression_format  = "GZIP"
    buffering_size      = 5
    buffering_interval  = 60

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose[0].name
      log_stream_name = "failed"
    }
  }

  tags = var.tags
}

# --- The lake's table: Athena reads the objects the loader reads --------------------------------
# Columns generated from the schemas; partitions found by projection from the prefix Firehose
# writes (no crawler, no partitions to add): event_type from the schema's enum, event_date from
# projection_start_date to today, event_hour 00..23.

resource "aws_glue_catalog_database" "lake" {
  count = var.create ? 1 : 0
  name  = replace("${var.name}_lake", "-", "_")
}

resource "aws_glue_catalog_table" "events" {
  count         = var.create ? 1 : 0
  name          = "player_events"
  database_name = aws_glue_catalog_database.lake[0].name
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    classification                        = "json"
    compressionType                       = "gzip"
    "projection.enabled"                  = "true"
    "projection.event_type.type"          = "enum"
    "projection.event_type.values"        = join(",", var.glue_table.event_types)
    "projection.event_date.type"          = "date"
    "projection.event_date.format"        = "yyyy-MM-dd"
    "projection.event_date.range"         = "${var.projection_start_date},NOW"
    "projection.event_date.interval"      = "1"
    "projection.event_date.interval.unit" = "DAYS"
    "projection.event_hour.type"          = "integer"
    "projection.event_hour.range"         = "0,23"
    "projection.event_hour.digits"        = "2"
    "storage.location.template"           = "s3://${aws_s3_bucket.lake[0].bucket}/events/event_type=$${event_type}/event_date=$${event_date}/event_hour=$${event_hour}/"
  }

  partition_keys {
    name = "event_type"
    type = "string"
  }
  partition_keys {
    name = "event_date"
    type = "string"
  }
  partition_keys {
    name = "event_hour"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.lake[0].bucket}/events/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        # Timestamps are written as 2026-11-26T08:00:00.120Z; a key missing from a line is NULL.
        "timestamp.formats"     = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        "ignore.malformed.json" = "false"
      }
    }
    dynamic "columns" {
      for_each = var.glue_table.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}
