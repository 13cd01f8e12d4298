# A Kinesis stream of Sluice's kind on its own: on-demand, encrypted with its own customer-managed
# key, 48 h of retention, and the policy a producer needs to write to it (the key's
# kms:GenerateDataKey beside the stream's PutRecords: a producer without it gets AccessDenied).

# The region is your AWS configuration's (AWS_REGION).
provider "aws" {
  default_tags {
    tags = { application = "sluice", example = "stream" }
  }
}

module "stream" {
  source = "../../modules/stream"
  name   = var.name
}

data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "PutRecords"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
    resources = [module.stream.arn]
  }
  statement {
    sid       = "EncryptWithTheStreamKey"
    actions   = ["kms:GenerateDataKey"]
    resources = [module.stream.kms_key_arn]
  }
}

resource "aws_iam_policy" "producer" {
  name        = "${var.name}-producer"
  description = "Write records to ${var.name}."
  policy      = data.aws_iam_policy_document.producer.json
}
