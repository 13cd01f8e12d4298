
module "key" {
  source      = "../kms_key"
  count       = var.create && var.create_kms_key ? 1 : 0
  description = "Sluice stream ${var.name}"
  tags        = var.tags
}

# The key was this module's own resource before the kms_key module: keep it, do not replace it.
moved {
  from = aws_kms_key.this[0]
  to   = module.key[0].aws_kms_key.this
}

locals {
  kms_key_arn = var.create_kms_key ? one(module.key[*].arn) : var.kms_key_arn
}

resource "aws_kinesis_stream" "this" {
  count            = var.create ? 1 : 0
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
