mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  domain_name = "sluice"
  subnet_ids  = ["subnet-a", "subnet-b"]
}

run "encrypted_private_domain" {
  command = plan

  assert {
    condition     = one(aws_opensearch_domain.this[0].encrypt_at_rest).enabled && one(aws_opensearch_domain.this[0].node_to_node_encryption).enabled
    error_message = "encryption at rest and node to node"
  }
  assert {
    condition     = one(aws_opensearch_domain.this[0].domain_endpoint_options).enforce_https && one(aws_opensearch_domain.this[0].domain_endpoint_options).tls_security_policy == "Policy-Min-TLS-1-2-2019-07"
    error_message = "HTTPS with TLS 1.2"
  }
  assert {
    condition     = one(aws_opensearch_domain.this[0].advanced_security_options).enabled && !one(aws_opensearch_domain.this[0].advanced_security_options).anonymous_auth_enabled
    error_message = "fine-grained access control"
  }
  assert {
    condition     = length(one(aws_opensearch_domain.this[0].vpc_options).subnet_ids) == 2
    error_message = "the domain lives in the VPC"
  }
}

run "hot_only_by_default" {
  command = plan

  assert {
    condition     = !one(aws_opensearch_domain.this[0].cluster_config).warm_enabled && one(aws_opensearch_domain.this[0].cluster_config).warm_count == null
    error_message = "no UltraWarm nodes unless asked for"
  }
  assert {
    condition     = output.index_lifecycle == { hot_days = 30, warm_days = 0, delete_after_days = 30, warm_nodes = 0 }
    error_message = "indices are kept 30 days on the hot nodes, then deleted"
  }
}

# The lake is the history: a shorter hot retention is what shrinks the hot storage.
run "a_shorter_hot_retention" {
  command = plan

  variables {
    hot_retention_days = 3
  }

  assert {
    condition     = output.index_lifecycle.hot_days == 3 && output.index_lifecycle.delete_after_days == 3
    error_message = "the hot retention is the stack's to choose"
  }
}

run "ultrawarm_for_older_indices" {
  command = plan

  variables {
    warm_enabled        = true
    warm_type           = "ultrawarm1.large.search"
    warm_count          = 3
    hot_retention_days  = 2
    warm_retention_days = 28
  }

  assert {
    condition = (
      one(aws_opensearch_domain.this[0].cluster_config).warm_enabled
      && one(aws_opensearch_domain.this[0].cluster_config).warm_type == "ultrawarm1.large.search"
      && one(aws_opensearch_domain.this[0].cluster_config).warm_count == 3
      && one(aws_opensearch_domain.this[0].cluster_config).dedicated_master_enabled
    )
    error_message = "UltraWarm nodes beside the dedicated masters"
  }
  assert {
    condition     = output.index_lifecycle == { hot_days = 2, warm_days = 28, delete_after_days = 30, warm_nodes = 3 }
    error_message = "two days hot, 28 warm, deleted after 30"
  }
}

run "ultrawarm_needs_dedicated_masters" {
  command = plan

  variables {
    warm_enabled     = true
    dedicated_master = false
  }

  expect_failures = [aws_opensearch_domain.this]
}

run "warm_days_need_ultrawarm" {
  command = plan

  variables {
    warm_retention_days = 10
  }

  expect_failures = [aws_opensearch_domain.this]
}

run "one_warm_node_is_refused" {
  command = plan

  variables {
    warm_enabled = true
    warm_count   = 1
  }

  expect_failures = [var.warm_count]
}

run "a_hot_retention_of_zero_is_refused" {
  command = plan

  variables {
    hot_retention_days = 0
  }

  expect_failures = [var.hot_retention_days]
}
