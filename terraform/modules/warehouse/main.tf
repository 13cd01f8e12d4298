
# --- S3 -> SQS notifications for the loader (always) ---------------------------------------

resource "aws_sqs_queue" "loader_dead_letter" {
  count                     = var.create ? 1 : 0
  name                      = "${var.name}-loader-dead-letter"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "loader" {
  count = var.create ? 1 : 0
  name  = "${var.name}-loader"
  # Longer than the loader's timeout, so a message in flight is not delivered twice.
  visibility_timeout_seconds = var.loader_timeout_seconds * 6
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.loader_dead_letter[0].arn
    maxReceiveCount     = 5
  })
  tags = var.tags
}

data "aws_iam_policy_document" "loader_queue" {
  count = var.create ? 1 : 0
  statement {
    sid       = "S3Notifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.loader[0].arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [var.lake_bucket_arn]
    }
  }
}

resource "aws_sqs_queue_policy" "loader" {
  count     = var.create ? 1 : 0
  queue_url = aws_sqs_queue.loader[0].id
  policy    = data.aws_iam_policy_document.loader_queue[0].json
}

resource "aws_s3_bucket_notification" "lake" {
  count  = var.create ? 1 : 0
  bucket = var.lake_bucket_name

  queue {
    queue_arn     = aws_sqs_queue.loader[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "events/"
  }

  depends_on = [aws_sqs_queue_policy.loader]
}

# --- Redshift (off in the local stack: the embedded PostgreSQL stands in) -----------------
# A provisioned cluster or Redshift Serverless (var.kind): the same database, admin secret, key,
# COPY role and loader user either way, so the loader and `sluice warehouse migrate` see no
# difference but the endpoint.

locals {
  warehouse   = var.create && var.create_cluster
  provisioned = local.warehouse && var.kind == "provisioned"
  serverless  = local.warehouse && var.kind == "serverless"
}

data "aws_iam_policy_document" "redshift_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "copy" {
  count              = local.warehouse ? 1 : 0
  name               = "${var.name}-redshift-copy"
  assume_role_policy = data.aws_iam_policy_document.redshift_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "copy" {
  count = local.warehouse ? 1 : 0
  statement {
    sid       = "ReadLake"
    actions   = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.lake_bucket_arn, "${var.lake_bucket_arn}/*"]
  }
  statement {
    sid       = "DecryptLake"
    actions   = ["kms:Decrypt"]
    resources = [var.lake_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "copy" {
  count  = local.warehouse ? 1 : 0
  name   = "copy-from-lake"
  role   = aws_iam_role.copy[0].id
  policy = data.aws_iam_policy_document.copy[0].json
}


module "key" {
  source      = "../kms_key"
  count       = local.warehouse ? 1 : 0
  description = "Sluice warehouse ${var.name}"
  tags        = var.tags
}

# The key was this module's own resource before the kms_key module: keep it, do not replace it.
moved {
  from = aws_kms_key.warehouse[0]
  to   = module.key[0].aws_kms_key.this
}

resource "aws_redshift_subnet_group" "this" {
  count      = local.provisioned ? 1 : 0
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_redshift_parameter_group" "this" {
  count  = local.provisioned ? 1 : 0
  name   = var.name
  family = "redshift-1.0"
  parameter {
    name  = "require_ssl"
    value = "true"
  }
  parameter {
    name  = "enable_user_activity_logging"
    value = "true"
  }
  tags = var.tags
}

resource "aws_redshift_cluster" "this" {
  #checkov:skip=CKV_AWS_71:logging is set by aws_redshift_logging below (the cluster's logging block is deprecated in provider 5.x)
  count                                = local.provisioned ? 1 : 0
  cluster_identifier                   = var.name
  database_name                        = var.database_name
  master_username                      = var.master_username
  manage_master_password               = true # the password lives in Secrets Manager, rotated
  node_type                            = var.node_type
  cluster_type                         = var.number_of_nodes > 1 ? "multi-node" : "single-node"
  number_of_nodes                      = var.number_of_nodes
  encrypted                            = true
  kms_key_id                           = module.key[0].arn
  publicly_accessible                  = false
  enhanced_vpc_routing                 = true
  cluster_subnet_group_name            = aws_redshift_subnet_group.this[0].name
  vpc_security_group_ids               = var.security_group_ids
  cluster_parameter_group_name         = aws_redshift_parameter_group.this[0].name
  iam_roles                            = [aws_iam_role.copy[0].arn]
  automated_snapshot_retention_period  = 7
  skip_final_snapshot                  = var.skip_final_snapshot
  final_snapshot_identifier            = var.skip_final_snapshot ? null : "${var.name}-final"
  allow_version_upgrade                = true
  availability_zone_relocation_enabled = var.number_of_nodes > 1 ? false : true
  tags                                 = var.tags
}

resource "aws_redshift_logging" "this" {
  count                = local.provisioned ? 1 : 0
  cluster_identifier   = aws_redshift_cluster.this[0].cluster_identifier
  log_destination_type = "cloudwatch"
  log_exports          = ["connectionlog", "userlog", "useractivitylog"]
}

# Redshift Serverless: billed per RPU-hour for the seconds it works (with a minimum charge each
# time it wakes), nothing while idle.
resource "aws_redshiftserverless_namespace" "this" {
  count                            = local.serverless ? 1 : 0
  namespace_name                   = var.name
  db_name                          = var.database_name
  admin_username                   = var.master_username
  manage_admin_password            = true # the password lives in Secrets Manager, as the cluster's
  admin_password_secret_kms_key_id = module.key[0].arn
  kms_key_id                       = module.key[0].arn
  iam_roles                        = [aws_iam_role.copy[0].arn]
  default_iam_role_arn             = aws_iam_role.copy[0].arn
  log_exports                      = ["connectionlog", "userlog", "useractivitylog"]
  tags                             = var.tags
}

resource "aws_redshiftserverless_workgroup" "this" {
  count                = local.serverless ? 1 : 0
  workgroup_name       = var.name
  namespace_name       = aws_redshiftserverless_namespace.this[0].namespace_name
  base_capacity        = var.serverless_base_capacity
  max_capacity         = var.serverless_max_capacity
  enhanced_vpc_routing = true
  publicly_accessible  = false
  subnet_ids           = var.subnet_ids
  security_group_ids   = var.security_group_ids

  # What the cluster's parameter group sets.
  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }
  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.serverless_max_capacity == null || try(var.serverless_max_capacity >= var.serverless_base_capacity, false)
      error_message = "serverless_max_capacity must be at least serverless_base_capacity."
    }
  }
}

# --- the loader's own user --------------------------------------------------------------------
# Empty on purpose: `sluice warehouse migrate --loader-secret-arn <this>` (run with the admin
# secret) creates the loader's user with only the grants it needs (its tables and the ledger),
# generates its password and stores it here; the loader connects with this secret, never the
# admin's. No password is generated by Terraform (none would stay out of its state).
resource "aws_secretsmanager_secret" "loader" {
  #checkov:skip=CKV2_AWS_57:the password is set and rotated by `sluice warehouse migrate`, not by a rotation Lambda
  count       = local.warehouse ? 1 : 0
  name        = "${var.name}-warehouse-loader"
  description = "Sluice: the loader's warehouse user (written by sluice warehouse migrate)."
  kms_key_id  = module.key[0].arn
  tags        = var.tags
}

resource "aws_cloudwatch_metric_alarm" "loader_dead_letter" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-loader-dead-letter"
  alarm_description   = "Lake objects the loader failed to load 5 times wait in ${aws_sqs_queue.loader_dead_letter[0].name}: fix the cause, then move them back (SQS redrive) to ${aws_sqs_queue.loader[0].name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.loader_dead_letter[0].name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  ok_actions          = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}
