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
    )
    error_message = "every output is null when nothing is created"
  }
}
