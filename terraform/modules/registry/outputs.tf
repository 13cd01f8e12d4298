output "repository_urls" {
  description = "Stage -> repository URL, for `make push-images REGISTRY=...`."
  value       = { for stage, repo in aws_ecr_repository.stage : stage => repo.repository_url }
}
