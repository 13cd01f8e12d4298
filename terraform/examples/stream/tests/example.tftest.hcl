# Plan-only checks of the example: an encrypted on-demand stream and its producer's policy.

mock_provider "aws" {
  source = "../../testing/aws"
}

override_module {
  target          = module.stream
  override_during = plan
  outputs = {
    name        = "sluice-example-raw"
    arn         = "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-example-raw"
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    capacity    = "ON_DEMAND"
  }
}

run "the_stream_and_what_a_producer_may_do" {
  command = plan

  assert {
    condition     = output.stream.name == "sluice-example-raw" && output.stream.capacity == "ON_DEMAND"
    error_message = "the example makes an on-demand stream named from var.name"
  }
  assert {
    condition = (
      data.aws_iam_policy_document.producer.statement[0].resources == toset(["arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-example-raw"])
      && data.aws_iam_policy_document.producer.statement[1].actions == toset(["kms:GenerateDataKey"])
      && data.aws_iam_policy_document.producer.statement[1].resources == toset(["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    )
    error_message = "a producer may put records on this stream and encrypt with its key, nothing else"
  }
}
