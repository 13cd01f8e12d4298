resource "aws_kms_key" "this" {
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
