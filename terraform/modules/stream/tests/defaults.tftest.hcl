mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name = "sluice-raw"
}

run "encrypted_with_a_customer_key" {
  command = plan

  assert {
    condition     = aws_kinesis_stream.this.encryption_type == "KMS" && length(module.key) == 1
    error_message = "the stream is encrypted with a customer-managed key"
  }
  assert {
    condition     = one(aws_kinesis_stream.this.stream_mode_details).stream_mode == "ON_DEMAND" && aws_kinesis_stream.this.retention_period == 48
    error_message = "on-demand with 48 h retention by default"
  }
}
