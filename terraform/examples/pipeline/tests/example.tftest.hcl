# Plan-only checks of the example: the whole pipeline from the inputs without a safe default.

mock_provider "aws" {
  source = "../../testing/aws"
}

mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  lake_bucket_name             = "my-org-sluice-lake"
  private_subnet_ids           = ["subnet-aaaa", "subnet-bbbb"]
  warehouse_security_group_ids = ["sg-warehouse"]
  search_security_group_ids    = ["sg-search"]
  stage_security_group_ids     = ["sg-stages"]
  search_master_user_arn       = "arn:aws:iam::123456789012:role/sluice-search-admin"
  cors_allow_origins           = ["https://watch.example.com"]
  origin_verify_token          = "0123456789abcdef0123456789abcdef0123456789abcdef"
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
}

run "the_whole_pipeline_plans" {
  command = plan

  assert {
    condition     = output.health_table == "sluice-health" && module.sluice.raw_stream == "sluice-raw"
    error_message = "the pipeline plans and names its resources from the prefix"
  }
  assert {
    condition     = keys(module.sluice.functions) == ["indexer", "ingest", "loader", "monitor", "processor"]
    error_message = "every stage is a function"
  }
  assert {
    condition     = module.sluice.ingest_api_authorizer == "write_key"
    error_message = "players send a per-site write key by default"
  }
}

run "the_repositories_first_before_any_image" {
  command = plan

  variables {
    images = {}
  }

  plan_options {
    target = [module.registry]
  }

  assert {
    condition     = length(output.repositories) == 5
    error_message = "the first step plans the five repositories without images"
  }
}
