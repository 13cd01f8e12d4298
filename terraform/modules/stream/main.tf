data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_iam_policy_document" "stream_key" {
  #checkov:skip=CKV_AWS_111:the default key policy: the account administers the key, roles get use through IAM
  #checkov:skip=CKV_AWS_356:in a key policy "*" means this key only
  #checkov:skip=CKV_AWS_109:the account root must manage its own key, else the key becomes unmanageable
  statement {
    sid       = "AccountAdministersAndGrantsThroughIam"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  policy                  = data.aws_iam_policy_document.stream_key.json
  count                   = var.create_kms_key ? 1 : 0
  description             = "Sluice stream ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

locals {
  kms_key_arn = var.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}

resource "aws_kinesis_stream" "this" {
  name             = var.name
  retention_period = var.retention_hours
  shard_count      = var.on_demand ? null : var.shard_count
  encryption_type  = "KMS"
  kms_key_id       = local.kms_key_arn

  stream_mode_details {
    stream_mode = var.on_demand ? "ON_DEMAND" : "PROVISIONED"
  }

  tags = var.tags
}
