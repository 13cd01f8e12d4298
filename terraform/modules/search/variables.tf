variable "create" {
  description = "Create the domain (false in the local stack: an OpenSearch URL is given instead, or the search leg is off)."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Domain name."
  type        = string
}

variable "engine_version" {
  description = "Engine version."
  type        = string
  default     = "OpenSearch_2.17"
}

variable "instance_type" {
  description = "Data node type."
  type        = string
  default     = "r6g.large.search"
}

variable "instance_count" {
  description = "Data nodes (more than one spreads over zones)."
  type        = number
  default     = 2
}

variable "dedicated_master" {
  description = "Three dedicated master nodes: the cluster stays available through a node loss."
  type        = bool
  default     = true
}

variable "master_instance_type" {
  description = "Dedicated master node type."
  type        = string
  default     = "m6g.large.search"
}

variable "logs_kms_key_arn" {
  description = "Key for the domain's log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "volume_gb" {
  description = "EBS volume per node."
  type        = number
  default     = 100
}

variable "kms_key_arn" {
  description = "Customer-managed key for encryption at rest (null: the AWS-managed key)."
  type        = string
  default     = null
}

variable "master_user_arn" {
  description = "IAM role mapped to the fine-grained access control admin."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Private subnets of the domain."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups (HTTPS only from the indexer and monitor)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Log retention."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "warm_enabled" {
  description = "UltraWarm nodes for older indices (S3-backed, read-mostly, a fraction of hot storage's price per GB); needs dedicated_master. Off by default."
  type        = bool
  default     = false
}

variable "warm_type" {
  description = "UltraWarm node type with warm_enabled: ultrawarm1.medium.search (up to 1.5 TiB of warm storage each) or ultrawarm1.large.search (up to 20 TiB)."
  type        = string
  default     = "ultrawarm1.medium.search"

  validation {
    condition     = contains(["ultrawarm1.medium.search", "ultrawarm1.large.search"], var.warm_type)
    error_message = "warm_type must be ultrawarm1.medium.search or ultrawarm1.large.search (the UltraWarm node types)."
  }
}

variable "warm_count" {
  description = "UltraWarm nodes with warm_enabled (OpenSearch Service takes 2 to 150)."
  type        = number
  default     = 2

  validation {
    condition     = var.warm_count >= 2 && var.warm_count <= 150 && floor(var.warm_count) == var.warm_count
    error_message = "warm_count must be a whole number from 2 to 150 (OpenSearch Service's UltraWarm node limits)."
  }
}

# The index lifecycle is installed by `sluice opensearch bootstrap` (an ISM policy), not by
# Terraform: these are the stack's record of it, read back from the outputs by the runbook.
variable "hot_retention_days" {
  description = "Days an event index stays on the hot data nodes: then it moves to UltraWarm (warm_retention_days > 0) or is deleted. The lake keeps every event for its own retention, so the index need hold only what is searched live; hot storage is sized from this (retention x daily bytes x (1 + replicas))."
  type        = number
  default     = 30

  validation {
    condition     = var.hot_retention_days >= 1 && var.hot_retention_days <= 3650 && floor(var.hot_retention_days) == var.hot_retention_days
    error_message = "hot_retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "warm_retention_days" {
  description = "With warm_enabled: days an index stays in UltraWarm after its hot days, before it is deleted (0: deleted after hot_retention_days)."
  type        = number
  default     = 0

  validation {
    condition     = var.warm_retention_days >= 0 && var.warm_retention_days <= 3650 && floor(var.warm_retention_days) == var.warm_retention_days
    error_message = "warm_retention_days must be a whole number of days from 0 to 3650."
  }
}
