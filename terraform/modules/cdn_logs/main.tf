# CloudFront real-time logs into a Kinesis stream of their own: the configuration (its fields from
# the one list in the code), the stream (a customer-managed key, the shortest retention Kinesis
# allows) and the role CloudFront assumes to write to it. Terraform cannot edit a distribution it
# does not manage: attach the configuration's ARN to a cache behaviour (README).

locals {
  # The one list of fields (shared/src/sluice/cdn/fields.py, rendered by `sluice schemas render
  # cdn-fields`). The provider holds them as a set: the order on the stream is the one
  # GetRealtimeLogConfig reports, which is what the reader reads.
  all_fields = jsondecode(file("${path.module}/../../generated/cdn_realtime_log_fields.json"))
  # cs-headers is every request header (cookies, Authorization included) on the stream for its
  # 24 h: asked for only when the operator says so (var.log_request_headers). The processor reads
  # the deployed configuration's fields, so a configuration without it is read the same way.
  fields = var.log_request_headers ? local.all_fields : [for f in local.all_fields : f if f != "cs-headers"]

  # Kinesis' minimum retention (24 hours). The stream holds every request's full client address
  # (c-ip, x-forwarded-for) until the reader truncates it: keep it no longer than Kinesis must.
  retention_hours = 24
}

module "key" {
  source      = "../kms_key"
  count       = var.create ? 1 : 0
  description = "Sluice CloudFront real-time logs ${var.name}"
  tags        = var.tags
}

resource "aws_kinesis_stream" "this" {
  count            = var.create ? 1 : 0
  name             = var.name
  retention_period = local.retention_hours
  shard_count      = var.on_demand ? null : var.shard_count
  encryption_type  = "KMS"
  kms_key_id       = module.key[0].arn

  stream_mode_details {
    stream_mode = var.on_demand ? "ON_DEMAND" : "PROVISIONED"
  }

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count              = var.create ? 1 : 0
  name               = "${var.name}-cloudfront"
  description        = "CloudFront writes real-time log records of ${var.name} to its stream."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

# Exactly what the CloudFront Developer Guide's "IAM role permissions policy for an encrypted data
# stream" grants, on this stream and this key only.
data "aws_iam_policy_document" "write" {
  count = var.create ? 1 : 0

  statement {
    sid = "WriteTheLogStream"
    actions = [
      "kinesis:DescribeStreamSummary",
      "kinesis:DescribeStream",
      "kinesis:PutRecord",
      "kinesis:PutRecords",
    ]
    resources = [aws_kinesis_stream.this[0].arn]
  }

  statement {
    sid       = "EncryptWithTheStreamKey"
    actions   = ["kms:GenerateDataKey"]
    resources = [module.key[0].arn]
  }
}

resource "aws_iam_role_policy" "write" {
  count  = var.create ? 1 : 0
  name   = "write-${var.name}"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.write[0].json
}

resource "aws_cloudfront_realtime_log_config" "this" {
  count         = var.create && var.create_realtime_log_config ? 1 : 0
  name          = var.name
  sampling_rate = var.sampling_rate
  fields        = local.fields

  endpoint {
    stream_type = "Kinesis"
    kinesis_stream_config {
      role_arn   = aws_iam_role.this[0].arn
      stream_arn = aws_kinesis_stream.this[0].arn
    }
  }

  # The role may write before CloudFront first uses it (and is not left without its policy on destroy).
  depends_on = [aws_iam_role_policy.write]
}
