resource "aws_cloudwatch_log_group" "search" {
  count             = var.create ? 1 : 0
  name              = "/aws/opensearch/${var.domain_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "logs" {
  count = var.create ? 1 : 0
  statement {
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = ["${aws_cloudwatch_log_group.search[0].arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["es.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "search" {
  count           = var.create ? 1 : 0
  policy_name     = "${var.domain_name}-opensearch"
  policy_document = data.aws_iam_policy_document.logs[0].json
}

resource "aws_opensearch_domain" "this" {
  #checkov:skip=CKV_AWS_248:security groups come from var.security_group_ids (required by the aws stack); the module never uses the default group
  count          = var.create ? 1 : 0
  domain_name    = var.domain_name
  engine_version = var.engine_version

  cluster_config {
    instance_type            = var.instance_type
    instance_count           = var.instance_count
    zone_awareness_enabled   = var.instance_count > 1
    dedicated_master_enabled = var.dedicated_master
    dedicated_master_count   = var.dedicated_master ? 3 : null
    dedicated_master_type    = var.dedicated_master ? var.master_instance_type : null
    # UltraWarm: older indices on S3-backed warm nodes, searchable at a fraction of hot storage's
    # price (the ISM policy of `sluice opensearch bootstrap` moves them after hot_retention_days).
    warm_enabled = var.warm_enabled
    warm_type    = var.warm_enabled ? var.warm_type : null
    warm_count   = var.warm_enabled ? var.warm_count : null
  }

  ebs_options {
    ebs_enabled = true
    volume_size = var.volume_gb
    volume_type = "gp3"
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = false
    master_user_options {
      master_user_arn = var.master_user_arn
    }
  }

  vpc_options {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  log_publishing_options {
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.search[0].arn
    log_type                 = "AUDIT_LOGS"
    enabled                  = true
  }

  log_publishing_options {
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.search[0].arn
    log_type                 = "ES_APPLICATION_LOGS"
    enabled                  = true
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !var.warm_enabled || var.dedicated_master
      error_message = "warm_enabled needs dedicated_master = true: OpenSearch Service refuses UltraWarm nodes on a domain without dedicated master nodes."
    }
    precondition {
      condition     = var.warm_enabled || var.warm_retention_days == 0
      error_message = "warm_retention_days needs warm_enabled = true (without UltraWarm an index is deleted after hot_retention_days)."
    }
  }
}
