# Plan-only checks of the example: the lake from the contract's Glue table, and its writer's policy.

mock_provider "aws" {
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
}

variables {
  bucket_name = "my-org-sluice-example-lake"
}

run "the_lake_from_the_contract" {
  command = plan

  assert {
    condition     = module.lake.bucket_name == "my-org-sluice-example-lake"
    error_message = "the lake bucket is the one named"
  }
  assert {
    condition     = output.firehoses.events == "sluice-example-lake" && output.firehoses.failed == "sluice-example-failed"
    error_message = "the delivery streams are named from var.name"
  }
  assert {
    condition     = output.glue_table == "sluice_example_lake.player_events"
    error_message = "the Glue table over events/ is in the example's database"
  }
}

run "a_bucket_name_s3_refuses_is_refused" {
  command = plan

  variables {
    bucket_name = "Bad_Bucket!"
  }

  expect_failures = [var.bucket_name]
}
