# The lake on its own: an encrypted, versioned, private bucket with its lifecycle, the Firehose
# delivery streams that write events (partitioned by type and hour) and failed events into it, and
# the Glue table over events/ from the event contract (terraform/generated/glue_table.json,
# `sluice schemas render glue`). Whatever writes events needs firehose:PutRecordBatch on the
# delivery stream: the policy below.

# The region is your AWS configuration's (AWS_REGION).
provider "aws" {
  default_tags {
    tags = { application = "sluice", example = "lake" }
  }
}

module "lake" {
  source        = "../../modules/lake"
  name          = var.name
  bucket_name   = var.bucket_name
  glue_table    = jsondecode(file("${path.module}/../../generated/glue_table.json"))
  force_destroy = var.force_destroy
}

data "aws_iam_policy_document" "writer" {
  statement {
    sid       = "WriteEventsAndFailedEvents"
    actions   = ["firehose:PutRecordBatch"]
    resources = [module.lake.lake_firehose_arn, module.lake.failed_firehose_arn]
  }
}

resource "aws_iam_policy" "writer" {
  name        = "${var.name}-lake-writer"
  description = "Write events and failed events to the lake's delivery streams."
  policy      = data.aws_iam_policy_document.writer.json
}
