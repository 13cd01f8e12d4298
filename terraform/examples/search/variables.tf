variable "domain_name" {
  description = "The domain's name."
  type        = string
  default     = "sluice-example"
}

variable "subnet_ids" {
  description = "Two private subnets in different zones."
  type        = list(string)

  validation {
    # The domain's two data nodes are spread over two zones (zone awareness): one subnet each.
    condition     = length(var.subnet_ids) == 2
    error_message = "subnet_ids must name two private subnets, in different zones (one per data node's zone)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the domain (HTTPS from the indexer and monitor)."
  type        = list(string)
}

variable "master_user_arn" {
  description = "The IAM role mapped to the domain's admin (it runs `sluice opensearch bootstrap`)."
  type        = string
}
