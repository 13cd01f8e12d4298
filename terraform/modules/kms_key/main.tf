# One customer-managed key with the default key policy: the account administers it and grants
# its use through IAM (each stage's role names the key it may use). Every encrypted resource of
# Sluice (streams, lake, alerts topic, warehouse) gets its own key from this module.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "key" {
  count = var.create ? 1 : 0
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
  count                   = var.create ? 1 : 0
  description             = var.description
  policy                  = data.aws_iam_policy_document.key[0].json
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  tags                    = var.tags
}
