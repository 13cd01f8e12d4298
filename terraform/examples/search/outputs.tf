output "url" {
  description = "The domain's HTTPS endpoint, for `sluice opensearch bootstrap --url`."
  value       = module.search.endpoint
}

output "domain_arn" {
  description = "For the writers' es:ESHttp* grants."
  value       = module.search.domain_arn
}
