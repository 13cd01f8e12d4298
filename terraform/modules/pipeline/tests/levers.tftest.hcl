# The cost levers as deployed options, each off by default and then on: ingest through the
# function's own URL instead of the HTTP API, Redshift Serverless instead of a cluster, and
# OpenSearch's hot tier kept short (with UltraWarm, or the lake alone, as the history).

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  lake_bucket_name   = "test-lake"
  glue_table         = { columns = [{ name = "event_id", type = "string", comment = "" }], event_types = ["play"] }
  private_subnet_ids = ["subnet-a", "subnet-b"]
  images = {
    ingest    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    processor = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    indexer   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    loader    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:4444444444444444444444444444444444444444444444444444444444444444"
    monitor   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:5555555555555555555555555555555555555555555555555555555555555555"
  }
}

run "the_http_api_a_cluster_and_30_hot_days_by_default" {
  command = plan

  assert {
    condition     = output.ingest_endpoint.type == "http_api" && output.ingest_endpoint.invoke_permission_command == null
    error_message = "ingest sits behind the HTTP API by default"
  }
  assert {
    condition     = output.warehouse.kind == "provisioned" && output.warehouse.database == "sluice"
    error_message = "a provisioned Redshift cluster by default"
  }
  assert {
    condition     = output.opensearch_index_lifecycle == { hot_days = 30, warm_days = 0, delete_after_days = 30, warm_nodes = 0 }
    error_message = "30 days on the hot nodes, no UltraWarm, by default"
  }
}

run "ingest_through_its_function_url_behind_the_cdn" {
  command = plan

  variables {
    ingest_endpoint          = "function_url"
    origin_verify_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sluice-origin-verify-AbCdEf"
  }

  # Known at plan, so the function's environment is.
  override_resource {
    target          = module.ingest_api.aws_secretsmanager_secret.write_keys
    override_during = plan
    values          = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sluice-write-keys-AbCdEf" }
  }

  assert {
    condition     = output.ingest_endpoint.type == "function_url" && module.ingest_api.api_id == null
    error_message = "no HTTP API with a function URL"
  }
  assert {
    condition     = module.ingest.environment.SLUICE_ORIGIN_VERIFY_SECRET_ARN == var.origin_verify_secret_arn
    error_message = "ingest still checks CloudFront's origin header"
  }
  assert {
    condition     = length([for s in module.ingest.policy_statements : s if s.sid == "OriginVerify"]) == 1 && length([for s in module.ingest.policy_statements : s if s.sid == "WriteKeys"]) == 1
    error_message = "ingest may read the origin secret and the write keys, as behind the HTTP API"
  }
  assert {
    condition     = startswith(output.ingest_endpoint.invoke_permission_command, "aws lambda add-permission --function-name sluice-ingest ")
    error_message = "the runbook's InvokeFunction step names the ingest function"
  }
}

# A function URL with no CDN in front is refused by modules/ingest_api (its own test), and
# envs/aws refuses ingest_endpoint = "function_url" without create_edge.

run "redshift_serverless_reaches_the_loader" {
  command = plan

  variables {
    warehouse_kind      = "serverless"
    warehouse_base_rpus = 8
    warehouse_max_rpus  = 32
  }

  override_resource {
    target          = module.warehouse.aws_secretsmanager_secret.loader
    override_during = plan
    values          = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sluice-warehouse-loader-AbCdEf" }
  }
  override_resource {
    target          = module.warehouse.aws_iam_role.copy
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/sluice-redshift-copy" }
  }
  override_resource {
    target          = module.warehouse.aws_redshiftserverless_workgroup.this
    override_during = plan
    values = {
      endpoint = [{ address = "sluice.123456789012.eu-west-1.redshift-serverless.amazonaws.com", port = 5439, vpc_endpoint = [] }]
    }
  }

  assert {
    condition     = output.warehouse.kind == "serverless" && output.warehouse.endpoint == "sluice.123456789012.eu-west-1.redshift-serverless.amazonaws.com" && output.warehouse.port == 5439
    error_message = "the Serverless workgroup's endpoint is the warehouse's"
  }
  assert {
    condition = (
      module.loader.environment.SLUICE_WAREHOUSE_HOST == "sluice.123456789012.eu-west-1.redshift-serverless.amazonaws.com"
      && module.loader.environment.SLUICE_WAREHOUSE_PORT == "5439"
      && module.loader.environment.SLUICE_WAREHOUSE_DATABASE == "sluice"
      && module.loader.environment.SLUICE_WAREHOUSE_SECRET_ARN == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sluice-warehouse-loader-AbCdEf"
    )
    error_message = "the loader connects to the workgroup with its own user, as to a cluster"
  }
  assert {
    condition     = module.loader.environment.SLUICE_COPY_IAM_ROLE_ARN == "arn:aws:iam::123456789012:role/sluice-redshift-copy"
    error_message = "COPY assumes the role the namespace carries"
  }
}

run "a_short_hot_retention_with_ultrawarm" {
  command = plan

  variables {
    search_instance_count      = 4
    search_volume_gb           = 512
    search_hot_retention_days  = 2
    search_warm_enabled        = true
    search_warm_count          = 2
    search_warm_retention_days = 12
  }

  assert {
    condition     = output.opensearch_index_lifecycle == { hot_days = 2, warm_days = 12, delete_after_days = 14, warm_nodes = 2 }
    error_message = "two days hot, twelve in UltraWarm"
  }
}

run "an_unknown_warehouse_kind_is_refused" {
  command = plan

  variables {
    warehouse_kind = "bigquery"
  }

  expect_failures = [var.warehouse_kind]
}

run "no_platform_lines_and_no_tracing_by_default" {
  command = plan

  assert {
    condition     = alltrue([for stage, o in output.observability : o.system_log_level == "WARN" && o.tracing_mode == "PassThrough" && o.application_log_level == "INFO"])
    error_message = "every stage drops Lambda's START/END/REPORT lines (WARN) and records no X-Ray traces by default"
  }
  assert {
    condition     = length(output.observability) == 6
    error_message = "the six functions (ingest, processor, indexer, loader, monitor, evaluator) are all covered"
  }
}

run "platform_lines_and_tracing_when_asked" {
  command = plan
  variables {
    system_log_level = "INFO"
    enable_tracing   = true
  }

  assert {
    condition     = alltrue([for stage, o in output.observability : o.system_log_level == "INFO" && o.tracing_mode == "Active"])
    error_message = "system_log_level and enable_tracing reach every stage"
  }
  assert {
    condition     = length([for s in module.processor.policy_statements : s if s.sid == "Traces"]) == 1
    error_message = "a traced stage may send its segments"
  }
}
