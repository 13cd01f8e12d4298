# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_iam_role.scheduler
  to   = aws_iam_role.scheduler[0]
}

moved {
  from = aws_iam_role_policy.scheduler
  to   = aws_iam_role_policy.scheduler[0]
}

moved {
  from = aws_scheduler_schedule.health_evaluation
  to   = aws_scheduler_schedule.health_evaluation[0]
}
