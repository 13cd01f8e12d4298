# The clean stream KPL-aggregated: on by default (the processor packs its events per shard, and may
# ListShards on the clean stream to know the shards), one event per record when switched off.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
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

run "aggregated_by_default" {
  command = plan

  assert {
    condition     = module.processor.environment["SLUICE_CLEAN_AGGREGATE"] == "kpl"
    error_message = "the processor packs the clean stream's events by default"
  }
  assert {
    condition = jsonencode(one([for s in module.processor.policy_statements : s if s.sid == "WriteClean"]).actions) == jsonencode([
      "kinesis:PutRecords", "kinesis:ListShards",
    ])
    error_message = "the processor may put records on the clean stream and list its shards, nothing more"
  }
}

run "one_event_per_record_when_off" {
  command = plan

  variables {
    clean_kpl_aggregation = false
  }

  assert {
    condition     = module.processor.environment["SLUICE_CLEAN_AGGREGATE"] == "none"
    error_message = "clean_kpl_aggregation = false has the processor write one event per record"
  }
}
