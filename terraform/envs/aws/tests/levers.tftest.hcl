# The cost levers in the real stack that are off by default, off and then on: ingest through its
# function URL behind CloudFront, Redshift Serverless, a short hot retention with UltraWarm.

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

run "every_lever_off_by_default" {
  command = plan

  assert {
    condition     = output.ingest_endpoint.type == "http_api" && output.ingest_endpoint.invoke_permission_command == null
    error_message = "CloudFront forwards to the HTTP API by default"
  }
  assert {
    condition     = output.warehouse.kind == "provisioned"
    error_message = "a provisioned Redshift cluster by default"
  }
  assert {
    condition     = output.opensearch_index_lifecycle == { hot_days = 30, warm_days = 0, delete_after_days = 30, warm_nodes = 0 }
    error_message = "30 days hot and no UltraWarm by default"
  }
}

run "the_function_url_behind_cloudfront" {
  command = plan

  variables {
    ingest_endpoint = "function_url"
  }

  override_resource {
    target          = module.sluice.module.ingest_api.aws_lambda_function_url.ingest
    override_during = plan
    values          = { function_url = "https://abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws/" }
  }

  assert {
    condition     = output.ingest_endpoint.type == "function_url" && output.ingest_endpoint.url == "https://abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws"
    error_message = "the function URL is what CloudFront forwards to"
  }
  assert {
    condition     = length(module.edge) == 1
    error_message = "CloudFront and its WAF stay in front"
  }
  assert {
    condition     = output.ingest_endpoint.invoke_permission_command == "aws lambda add-permission --function-name sluice-ingest --statement-id FunctionURLAllowInvokeAction --action lambda:InvokeFunction --principal '*' --invoked-via-function-url"
    error_message = "the runbook's one step after the first apply"
  }
}

# ingest_endpoint = "function_url" with create_edge = false stops the plan in modules/ingest_api
# (a precondition of the URL, tested there: a test cannot expect a nested module's failure).

run "redshift_serverless" {
  command = plan

  variables {
    warehouse_kind      = "serverless"
    warehouse_base_rpus = 16
  }

  assert {
    condition     = output.warehouse.kind == "serverless" && output.warehouse.database == "sluice"
    error_message = "Redshift Serverless, the same database"
  }
}

run "a_short_hot_retention_with_ultrawarm" {
  command = plan

  variables {
    search_hot_retention_days  = 3
    search_warm_enabled        = true
    search_warm_retention_days = 27
  }

  assert {
    condition     = output.opensearch_index_lifecycle == { hot_days = 3, warm_days = 27, delete_after_days = 30, warm_nodes = 2 }
    error_message = "3 days hot, 27 in UltraWarm"
  }
}

run "an_unknown_ingest_endpoint_is_refused" {
  command = plan

  variables {
    ingest_endpoint = "rest_api"
  }

  expect_failures = [var.ingest_endpoint]
}

run "an_unknown_warehouse_kind_is_refused" {
  command = plan

  variables {
    warehouse_kind = "serverful"
  }

  expect_failures = [var.warehouse_kind]
}

run "no_platform_lines_and_no_tracing_by_default" {
  command = plan

  assert {
    condition     = alltrue([for stage, o in module.sluice.observability : o.system_log_level == "WARN" && o.tracing_mode == "PassThrough"])
    error_message = "the stack's stages drop Lambda's START/END/REPORT lines and record no X-Ray traces by default"
  }
}

run "platform_lines_and_tracing_when_asked" {
  command = plan
  variables {
    system_log_level = "INFO"
    enable_tracing   = true
  }

  assert {
    condition     = alltrue([for stage, o in module.sluice.observability : o.system_log_level == "INFO" && o.tracing_mode == "Active"])
    error_message = "the stack passes system_log_level and enable_tracing to every stage"
  }
}
