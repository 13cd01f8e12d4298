# create = false: the pipeline makes nothing at all, and says so in every output.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  create           = false
  lake_bucket_name = "test-lake"
  glue_table       = { columns = [{ name = "event_id", type = "string", comment = "" }], event_types = ["play"] }
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
}

run "create_false_creates_nothing" {
  command = plan

  assert {
    condition = (
      length(aws_iam_role.scheduler) == 0 && length(aws_iam_role_policy.scheduler) == 0
      && length(aws_scheduler_schedule.health_evaluation) == 0
    )
    error_message = "the pipeline's own resources are not made"
  }
  assert {
    condition = (
      output.ingest_url == null && output.raw_stream == null && output.clean_stream == null
      && output.lake_bucket == null && output.warehouse_endpoint == null && output.opensearch_url == null
      && output.alert_topic_arn == null && output.health_table == null && output.functions == null
      && output.monitor_role_arn == null && output.indexer_role_arn == null && output.capacity == null
      && output.warehouse == null && output.opensearch_index_lifecycle == null && output.ingest_endpoint == null
    )
    error_message = "no module of the pipeline makes anything: every output is null"
  }
}
