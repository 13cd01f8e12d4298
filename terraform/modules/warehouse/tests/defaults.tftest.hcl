mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name             = "sluice"
  lake_bucket_name = "sluice-lake"
  lake_bucket_arn  = "arn:aws:s3:::sluice-lake"
  lake_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/abc"
  subnet_ids       = ["subnet-a", "subnet-b"]
}

run "private_encrypted_cluster_with_a_managed_password" {
  command = plan

  assert {
    condition     = aws_redshift_cluster.this[0].encrypted && !aws_redshift_cluster.this[0].publicly_accessible && aws_redshift_cluster.this[0].enhanced_vpc_routing
    error_message = "Redshift is encrypted, private, with enhanced VPC routing"
  }
  assert {
    condition     = aws_redshift_cluster.this[0].manage_master_password
    error_message = "the admin password is managed in Secrets Manager"
  }
  assert {
    condition     = one(aws_s3_bucket_notification.lake[0].queue).filter_prefix == "events/"
    error_message = "new lake objects are announced to the loader's queue"
  }
}

run "local_stack_has_no_cluster" {
  command = plan

  variables {
    create_cluster = false
  }

  assert {
    condition     = length(aws_redshift_cluster.this) == 0 && length(aws_sqs_queue.loader[0].name) > 0
    error_message = "without a cluster, the notifications are still wired"
  }
}

run "the_loader_has_its_own_secret_and_the_dead_letter_queue_alarms" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.loader[0].name == "${var.name}-warehouse-loader"
    error_message = "the loader's own user lives in its own secret"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.loader_dead_letter[0].threshold == 0 && aws_cloudwatch_metric_alarm.loader_dead_letter[0].dimensions.QueueName == "${var.name}-loader-dead-letter"
    error_message = "any message on the loader's dead-letter queue must alarm"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_sqs_queue.loader_dead_letter) == 0
      && length(aws_sqs_queue.loader) == 0
      && length(aws_sqs_queue_policy.loader) == 0
      && length(aws_s3_bucket_notification.lake) == 0
      && length(aws_cloudwatch_metric_alarm.loader_dead_letter) == 0
      && length(aws_iam_role.copy) == 0
      && length(aws_iam_role_policy.copy) == 0
      && length(module.key) == 0
      && length(aws_redshift_subnet_group.this) == 0
      && length(aws_redshift_parameter_group.this) == 0
      && length(aws_redshift_cluster.this) == 0
      && length(aws_redshift_logging.this) == 0
      && length(aws_secretsmanager_secret.loader) == 0
      && length(aws_redshiftserverless_namespace.this) == 0
      && length(aws_redshiftserverless_workgroup.this) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.loader_queue_arn == null
      && output.loader_queue_url == null
      && output.endpoint == null
      && output.port == null
      && output.database_name == null
      && output.master_password_secret_arn == null
      && output.copy_role_arn == null
      && output.loader_secret_arn == null
      && output.loader_dead_letter_queue_name == null
      && output.kms_key_arn == null
      && output.kind == null
    )
    error_message = "every output is null when nothing is created"
  }
}

run "provisioned_by_default" {
  command = plan

  assert {
    condition     = output.kind == "provisioned" && length(aws_redshift_cluster.this) == 1 && length(aws_redshiftserverless_workgroup.this) == 0 && length(aws_redshiftserverless_namespace.this) == 0
    error_message = "a provisioned cluster unless kind = serverless"
  }
}

run "serverless_warehouse" {
  command = plan

  variables {
    kind                     = "serverless"
    serverless_base_capacity = 16
    serverless_max_capacity  = 64
    security_group_ids       = ["sg-w"]
  }

  assert {
    condition     = output.kind == "serverless" && length(aws_redshift_cluster.this) == 0 && length(aws_redshift_subnet_group.this) == 0 && length(aws_redshift_parameter_group.this) == 0 && length(aws_redshift_logging.this) == 0
    error_message = "Serverless makes no cluster, subnet group, parameter group or cluster logging"
  }
  assert {
    condition     = aws_redshiftserverless_workgroup.this[0].base_capacity == 16 && aws_redshiftserverless_workgroup.this[0].max_capacity == 64
    error_message = "the workgroup takes the base and maximum RPUs given"
  }
  assert {
    # trailing &&: checkov's HCL parser cannot read a !-expression followed by a line starting with &&
    condition = (
      !aws_redshiftserverless_workgroup.this[0].publicly_accessible &&
      aws_redshiftserverless_workgroup.this[0].enhanced_vpc_routing &&
      length(aws_redshiftserverless_workgroup.this[0].subnet_ids) == 2 &&
      aws_redshiftserverless_workgroup.this[0].security_group_ids == toset(["sg-w"]) &&
      { for p in aws_redshiftserverless_workgroup.this[0].config_parameter : p.parameter_key => p.parameter_value } == { require_ssl = "true", enable_user_activity_logging = "true" }
    )
    error_message = "the workgroup is private, routed through the VPC, TLS only, with user activity logged, as the cluster"
  }
  assert {
    condition = (
      aws_redshiftserverless_namespace.this[0].manage_admin_password
      && aws_redshiftserverless_namespace.this[0].db_name == "sluice"
      && aws_redshiftserverless_namespace.this[0].admin_username == "sluice_admin"
      && length(module.key) == 1
      && length(aws_iam_role.copy) == 1
      && toset(aws_redshiftserverless_namespace.this[0].log_exports) == toset(["connectionlog", "userlog", "useractivitylog"])
    )
    error_message = "the namespace keeps the cluster's database, admin (its password in Secrets Manager), key, COPY role and logs"
  }
  assert {
    condition     = aws_secretsmanager_secret.loader[0].name == "${var.name}-warehouse-loader" && output.database_name == "sluice"
    error_message = "the loader's own user and the database are the same as with a cluster"
  }
}

run "serverless_base_capacity_off_the_rpu_steps_is_refused" {
  command = plan

  variables {
    kind                     = "serverless"
    serverless_base_capacity = 12
  }

  expect_failures = [var.serverless_base_capacity]
}

run "serverless_max_below_base_is_refused" {
  command = plan

  variables {
    kind                     = "serverless"
    serverless_base_capacity = 32
    serverless_max_capacity  = 16
  }

  expect_failures = [aws_redshiftserverless_workgroup.this]
}

run "an_unknown_kind_is_refused" {
  command = plan

  variables {
    kind = "aurora"
  }

  expect_failures = [var.kind]
}
