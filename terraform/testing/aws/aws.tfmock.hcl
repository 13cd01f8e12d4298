# The data sources every plan-only test reads, mocked once (`mock_provider "aws" { source = ... }`):
# what the modules read of the account, region and partition, and the policy documents (only
# known once the provider renders them).

mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_region" {
  defaults = { id = "eu-west-1", name = "eu-west-1" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}
