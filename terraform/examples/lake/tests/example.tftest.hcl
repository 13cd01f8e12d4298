# Plan-only checks of the example: the lake from the contract's Glue table, and its writer's policy.

mock_provider "aws" {
  source = "../../testing/aws"
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

