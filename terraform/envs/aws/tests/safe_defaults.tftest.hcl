# The stack refuses images that are not pinned by digest.

mock_provider "aws" {
  alias = "us_east_1"
}

mock_provider "aws" {
  source = "../../testing/aws"
}
variables {
  lake_bucket_name             = "test-lake"
  private_subnet_ids           = ["subnet-a", "subnet-b"]
  warehouse_security_group_ids = ["sg-w"]
  search_security_group_ids    = ["sg-s"]
  stage_security_group_ids     = ["sg-f"]
  search_master_user_arn       = "arn:aws:iam::123456789012:role/admin"
  jwt_issuer                   = "https://auth.example.com/"
  cors_allow_origins           = ["https://watch.example"]
  origin_verify_token          = "0123456789abcdef0123456789abcdef0123456789abcdef"
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
}

run "pinned_images_plan" {
  command = plan

  assert {
    condition     = output.health_table == "sluice-health" && output.streams.raw == "sluice-raw"
    error_message = "the stack plans with pinned images and names its resources from the prefix"
  }
}

run "an_unpinned_image_is_refused" {
  command = plan

  variables {
    images = {
      ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest:latest"
      processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
      indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
      loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
      monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
    }
  }

  expect_failures = [var.images]
}


run "cors_must_name_the_players_origins" {
  command = plan

  variables {
    cors_allow_origins = ["*"]
  }

  expect_failures = [var.cors_allow_origins]
}

run "write_keys_and_alarms_by_default" {
  command = plan

  assert {
    condition     = module.sluice.ingest_api_authorizer == "write_key"
    error_message = "the aws stack asks players for a per-site write key by default"
  }
}

run "a_rate_limit_in_front_of_ingest_by_default" {
  command = plan

  assert {
    condition     = length(module.edge) == 1
    error_message = "CloudFront with the WAF rate limit fronts ingest by default"
  }
}

run "the_health_evaluation_runs_every_window_from_the_monitor_image" {
  command = plan

  assert {
    condition     = module.sluice.health_evaluation.schedule == "rate(1 minute)" && module.sluice.health_evaluation.window_seconds == 60
    error_message = "the evaluation is scheduled once per one-minute window"
  }
  assert {
    condition     = module.sluice.health_evaluation.image_uri == var.images["monitor"]
    error_message = "the evaluation is the monitor image's second handler, not a sixth image"
  }
}

# What `sluice plan` writes (capacity.auto.tfvars.json) reaches the streams, the mappings, the
# functions and the lake.
run "capacity_from_sluice_plan" {
  command = plan

  variables {
    capacity = {
      on_demand_streams      = false
      raw_shards             = 3
      clean_shards           = 2
      processor              = { batch_size = 500, batching_window_seconds = 1, parallelization_factor = 4 }
      indexer                = { batch_size = 1000, batching_window_seconds = 5, parallelization_factor = 1 }
      monitor                = { batch_size = 1000, batching_window_seconds = 5, parallelization_factor = 1 }
      memory_mb              = { ingest = 512, processor = 1024, indexer = 512, loader = 512, monitor = 512 }
      lake_buffering_seconds = 300
      lake_buffering_mb      = 128
    }
  }

  assert {
    condition     = output.capacity.raw_stream == "3 shards" && output.capacity.clean_stream == "2 shards"
    error_message = "the planned shard counts make provisioned streams"
  }
  assert {
    condition     = output.capacity.triggers.processor.parallelization_factor == 4 && output.capacity.memory_mb.processor == 1024
    error_message = "the processor gets the planned parallelization and memory"
  }
  assert {
    condition     = output.capacity.lake_buffering_seconds == 300
    error_message = "the lake Firehose buffers as planned"
  }
}

run "default_capacity" {
  command = plan

  assert {
    condition     = output.capacity.raw_stream == "ON_DEMAND" && output.capacity.triggers.processor.parallelization_factor == 2
    error_message = "without a plan the streams are on-demand with the default mappings"
  }
}

# S3's bucket naming rules, checked before anything is planned.
run "a_bucket_name_s3_refuses_is_refused" {
  command = plan

  variables {
    lake_bucket_name = "Bad_Bucket!"
  }

  expect_failures = [var.lake_bucket_name]
}

run "a_region_that_is_no_region_code_is_refused" {
  command = plan

  variables {
    region = "Ireland"
  }

  expect_failures = [var.region]
}

# The runbook's first step (terraform/README.md, Deploy): the repositories, before any image exists.
run "the_first_deploy_step_needs_no_images" {
  command = plan

  variables {
    images = {}
  }

  plan_options {
    target = [module.registry]
  }

  assert {
    condition     = length(module.registry.repository_urls) == 5
    error_message = "the registry step plans the five repositories without images"
  }
}
